package dev.gatehouse.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.pgv.validate.Validate;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks a message against the {@code (validate.rules)} constraints declared in Envoy's API protos, read from the
 * descriptors at run time (no Envoy binary exists here, so this is the next best way to know Envoy would accept a
 * resource). Recurses into sub-messages, repeated and map entries, and {@code Any} payloads (resolved through
 * {@link EnvoyTypes#REGISTRY}; an Any of an unknown type is itself a violation).
 *
 * <p>Covered: message {@code required}, {@code disabled}/{@code ignored}; oneof {@code required}; string
 * const/len/min_len/max_len/min_bytes/max_bytes/len_bytes/prefix/suffix/contains/not_contains/in/not_in/pattern/
 * well_known (HTTP header name/value); bytes min_len/max_len; enum const/defined_only/in/not_in; every numeric kind
 * const/lt/lte/gt/gte/in/not_in (also on wrapper types); bool const; repeated min_items/max_items/unique/items;
 * map min_pairs/max_pairs/keys/values; any required/in/not_in; duration required/const/lt/lte/gt/gte.
 * Not covered: string formats email/hostname/ip/uri (reported as unchecked only if used on a set field).
 */
public final class EnvoyValidateRules {
  private static final ExtensionRegistry EXTENSIONS = ExtensionRegistry.newInstance();
  private static final Map<FieldDescriptor, Validate.FieldRules> FIELD_RULES = new ConcurrentHashMap<>();
  private static final Pattern HEADER_NAME = Pattern.compile("^:?[0-9a-zA-Z!#$%&'*+\\-.^_|~`]+$");
  private static final Pattern HEADER_VALUE = Pattern.compile("^[^\\x00-\\x08\\x0A-\\x1F\\x7F]*$");

  static {
    Validate.registerAllExtensions(EXTENSIONS);
  }

  private EnvoyValidateRules() {}

  /** All violations in {@code m}, each as "path: what"; empty when valid. */
  public static List<String> violations(Message m) {
    List<String> out = new ArrayList<>();
    check(m, m.getDescriptorForType().getName(), out);
    return out;
  }

  private static Validate.FieldRules rules(FieldDescriptor f) {
    return FIELD_RULES.computeIfAbsent(f, fd -> {
      try {
        DescriptorProtos.FieldOptions opts =
            DescriptorProtos.FieldOptions.parseFrom(fd.getOptions().toByteString(), EXTENSIONS);
        return opts.hasExtension(Validate.rules) ? opts.getExtension(Validate.rules) : null;
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static boolean messageOption(Descriptors.Descriptor d, com.google.protobuf.GeneratedMessage.GeneratedExtension<DescriptorProtos.MessageOptions, Boolean> ext) {
    try {
      DescriptorProtos.MessageOptions o = DescriptorProtos.MessageOptions.parseFrom(d.getOptions().toByteString(), EXTENSIONS);
      return o.hasExtension(ext) && o.getExtension(ext);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean oneofRequired(Descriptors.OneofDescriptor o) {
    try {
      DescriptorProtos.OneofOptions opts = DescriptorProtos.OneofOptions.parseFrom(o.getOptions().toByteString(), EXTENSIONS);
      return opts.hasExtension(Validate.required) && opts.getExtension(Validate.required);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void check(Message m, String path, List<String> out) {
    Descriptors.Descriptor d = m.getDescriptorForType();
    if (d.getFullName().equals(Any.getDescriptor().getFullName())) {
      checkAny(m, path, out);
      return;
    }
    if (messageOption(d, Validate.disabled) || messageOption(d, Validate.ignored)) {
      return;
    }
    for (Descriptors.OneofDescriptor o : d.getRealOneofs()) {
      if (oneofRequired(o) && !m.hasOneof(o)) {
        out.add(path + "." + o.getName() + ": oneof is required");
      }
    }
    for (FieldDescriptor f : d.getFields()) {
      String fp = path + "." + f.getName();
      Validate.FieldRules r = rules(f);
      if (f.isMapField()) {
        @SuppressWarnings("unchecked")
        List<Message> entries = (List<Message>) m.getField(f);
        if (r != null && r.hasMap()) {
          checkMap(r.getMap(), entries, fp, out);
        }
        for (Message e : entries) {
          Object v = e.getField(e.getDescriptorForType().findFieldByName("value"));
          if (v instanceof Message vm) {
            check(vm, fp + "[" + e.getField(e.getDescriptorForType().findFieldByName("key")) + "]", out);
          }
        }
        continue;
      }
      if (f.isRepeated()) {
        List<?> items = (List<?>) m.getField(f);
        if (r != null && r.hasRepeated()) {
          Validate.RepeatedRules rr = r.getRepeated();
          if (rr.hasMinItems() && items.size() < rr.getMinItems()) {
            out.add(fp + ": at least " + rr.getMinItems() + " items required, got " + items.size());
          }
          if (rr.hasMaxItems() && items.size() > rr.getMaxItems()) {
            out.add(fp + ": at most " + rr.getMaxItems() + " items allowed");
          }
          if (rr.getUnique() && new HashSet<>(items).size() != items.size()) {
            out.add(fp + ": items must be unique");
          }
          if (rr.hasItems()) {
            for (int i = 0; i < items.size(); i++) {
              checkValue(f, rr.getItems(), items.get(i), fp + "[" + i + "]", out);
            }
          }
        }
        for (int i = 0; i < items.size(); i++) {
          if (items.get(i) instanceof Message im) {
            check(im, fp + "[" + i + "]", out);
          }
        }
        continue;
      }
      boolean present = f.hasPresence() ? m.hasField(f) : true;
      if (r != null) {
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          if (!m.hasField(f)) {
            // A rule on a oneof member applies only when that member is the one set.
            boolean required = f.getRealContainingOneof() == null && ( (r.hasMessage() && r.getMessage().getRequired())
                || (r.hasAny() && r.getAny().getRequired())
                || (r.hasDuration() && r.getDuration().getRequired())
                || (r.hasTimestamp() && r.getTimestamp().getRequired()));
            if (required) {
              out.add(fp + ": is required");
            }
          } else {
            checkValue(f, r, m.getField(f), fp, out);
          }
        } else if (present && !(f.getContainingOneof() != null && !m.hasField(f))) {
          checkValue(f, r, m.getField(f), fp, out);
        }
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && m.hasField(f)
          && !(r != null && r.hasMessage() && r.getMessage().getSkip())) {
        check((Message) m.getField(f), fp, out);
      }
    }
  }

  private static void checkAny(Message any, String path, List<String> out) {
    String typeUrl = (String) any.getField(any.getDescriptorForType().findFieldByName("type_url"));
    ByteString value = (ByteString) any.getField(any.getDescriptorForType().findFieldByName("value"));
    String name = typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    Descriptors.Descriptor d;
    try {
      d = EnvoyTypes.REGISTRY.find(name);
    } catch (RuntimeException e) {
      d = null;
    }
    if (d == null) {
      out.add(path + ": Any of unknown type " + typeUrl);
      return;
    }
    try {
      check(DynamicMessage.parseFrom(d, value), path + "<" + d.getName() + ">", out);
    } catch (InvalidProtocolBufferException e) {
      out.add(path + ": Any does not parse as " + name);
    }
  }

  private static void checkMap(Validate.MapRules mr, List<Message> entries, String fp, List<String> out) {
    if (mr.hasMinPairs() && entries.size() < mr.getMinPairs()) {
      out.add(fp + ": at least " + mr.getMinPairs() + " entries required");
    }
    if (mr.hasMaxPairs() && entries.size() > mr.getMaxPairs()) {
      out.add(fp + ": at most " + mr.getMaxPairs() + " entries allowed");
    }
    for (Message e : entries) {
      FieldDescriptor kf = e.getDescriptorForType().findFieldByName("key");
      FieldDescriptor vf = e.getDescriptorForType().findFieldByName("value");
      if (mr.hasKeys()) {
        checkValue(kf, mr.getKeys(), e.getField(kf), fp + "{key " + e.getField(kf) + "}", out);
      }
      if (mr.hasValues()) {
        checkValue(vf, mr.getValues(), e.getField(vf), fp + "[" + e.getField(kf) + "]", out);
      }
    }
  }

  private static void checkValue(FieldDescriptor f, Validate.FieldRules r, Object v, String fp, List<String> out) {
    switch (r.getTypeCase()) {
      case STRING -> checkString(r.getString(), (String) unwrap(v), fp, out);
      case BYTES -> {
        ByteString b = (ByteString) unwrap(v);
        Validate.BytesRules br = r.getBytes();
        if (br.hasMinLen() && b.size() < br.getMinLen()) {
          out.add(fp + ": at least " + br.getMinLen() + " bytes required");
        }
        if (br.hasMaxLen() && b.size() > br.getMaxLen()) {
          out.add(fp + ": at most " + br.getMaxLen() + " bytes allowed");
        }
      }
      case ENUM -> {
        Descriptors.EnumValueDescriptor ev = (Descriptors.EnumValueDescriptor) v;
        Validate.EnumRules er = r.getEnum();
        if (er.getDefinedOnly() && ev.getType().findValueByNumber(ev.getNumber()) == null) {
          out.add(fp + ": enum value " + ev.getNumber() + " is not defined");
        }
        if (er.hasConst() && ev.getNumber() != er.getConst()) {
          out.add(fp + ": must be " + er.getConst());
        }
        if (er.getInCount() > 0 && !er.getInList().contains(ev.getNumber())) {
          out.add(fp + ": must be one of " + er.getInList());
        }
        if (er.getNotInList().contains(ev.getNumber())) {
          out.add(fp + ": must not be " + ev.getName());
        }
      }
      case BOOL -> {
        if (r.getBool().hasConst() && !Boolean.valueOf(r.getBool().getConst()).equals(unwrap(v))) {
          out.add(fp + ": must be " + r.getBool().getConst());
        }
      }
      case ANY -> {
        Message any = (Message) v;
        String typeUrl = (String) any.getField(any.getDescriptorForType().findFieldByName("type_url"));
        if (r.getAny().getInCount() > 0 && !r.getAny().getInList().contains(typeUrl)) {
          out.add(fp + ": type " + typeUrl + " not allowed");
        }
        if (r.getAny().getNotInList().contains(typeUrl)) {
          out.add(fp + ": type " + typeUrl + " not allowed");
        }
      }
      case DURATION -> {
        Validate.DurationRules dr = r.getDuration();
        BigDecimal d = duration((Message) v);
        if (dr.hasConst() && d.compareTo(duration(dr.getConst())) != 0) {
          out.add(fp + ": must equal " + dr.getConst());
        }
        if (dr.hasLt() && d.compareTo(duration(dr.getLt())) >= 0) {
          out.add(fp + ": must be < " + duration(dr.getLt()) + "s");
        }
        if (dr.hasLte() && d.compareTo(duration(dr.getLte())) > 0) {
          out.add(fp + ": must be <= " + duration(dr.getLte()) + "s");
        }
        if (dr.hasGt() && d.compareTo(duration(dr.getGt())) <= 0) {
          out.add(fp + ": must be > " + duration(dr.getGt()) + "s");
        }
        if (dr.hasGte() && d.compareTo(duration(dr.getGte())) < 0) {
          out.add(fp + ": must be >= " + duration(dr.getGte()) + "s");
        }
      }
      case REPEATED, MAP, TIMESTAMP, TYPE_NOT_SET -> { }
      default -> checkNumber((Message) r.getField(r.getDescriptorForType().findFieldByNumber(r.getTypeCase().getNumber())),
          unwrap(v), fp, out);
    }
  }

  /** Wrapper types (UInt32Value...) carry scalar rules that apply to their value. */
  private static Object unwrap(Object v) {
    if (v instanceof Message m && m.getDescriptorForType().getFile().getName().equals("google/protobuf/wrappers.proto")) {
      return m.getField(m.getDescriptorForType().findFieldByName("value"));
    }
    return v;
  }

  private static BigDecimal duration(Message d) {
    long s = (Long) d.getField(d.getDescriptorForType().findFieldByName("seconds"));
    int n = (Integer) d.getField(d.getDescriptorForType().findFieldByName("nanos"));
    return BigDecimal.valueOf(s).add(BigDecimal.valueOf(n, 9));
  }

  private static void checkNumber(Message rules, Object value, String fp, List<String> out) {
    BigDecimal v = new BigDecimal(String.valueOf(value));
    if (value instanceof Integer i && rules.getDescriptorForType().getName().startsWith("UInt32")) {
      v = BigDecimal.valueOf(Integer.toUnsignedLong(i));
    }
    for (FieldDescriptor rf : rules.getDescriptorForType().getFields()) {
      if (rf.isRepeated()) {
        List<?> values = (List<?>) rules.getField(rf);
        if (values.isEmpty()) {
          continue;
        }
        Set<BigDecimal> set = new HashSet<>();
        values.forEach(x -> set.add(new BigDecimal(String.valueOf(x)).stripTrailingZeros()));
        boolean contains = set.contains(v.stripTrailingZeros());
        if (rf.getName().equals("in") && !contains) {
          out.add(fp + ": must be one of " + values);
        } else if (rf.getName().equals("not_in") && contains) {
          out.add(fp + ": must not be " + value);
        }
        continue;
      }
      if (!rules.hasField(rf) || rf.getJavaType() == FieldDescriptor.JavaType.BOOLEAN) {
        continue;
      }
      BigDecimal limit = new BigDecimal(String.valueOf(rules.getField(rf)));
      int c = v.compareTo(limit);
      boolean bad = switch (rf.getName()) {
        case "const" -> c != 0;
        case "lt" -> c >= 0;
        case "lte" -> c > 0;
        case "gt" -> c <= 0;
        case "gte" -> c < 0;
        default -> false;
      };
      if (bad) {
        out.add(fp + ": " + value + " violates " + rf.getName() + " " + limit);
      }
    }
  }

  private static void checkString(Validate.StringRules sr, String s, String fp, List<String> out) {
    int chars = s.codePointCount(0, s.length());
    int bytes = s.getBytes(StandardCharsets.UTF_8).length;
    if (sr.hasConst() && !s.equals(sr.getConst())) {
      out.add(fp + ": must be '" + sr.getConst() + "'");
    }
    if (sr.hasLen() && chars != sr.getLen()) {
      out.add(fp + ": length must be " + sr.getLen());
    }
    if (sr.hasMinLen() && chars < sr.getMinLen()) {
      out.add(fp + ": at least " + sr.getMinLen() + " characters required");
    }
    if (sr.hasMaxLen() && chars > sr.getMaxLen()) {
      out.add(fp + ": at most " + sr.getMaxLen() + " characters allowed");
    }
    if (sr.hasLenBytes() && bytes != sr.getLenBytes()) {
      out.add(fp + ": must be " + sr.getLenBytes() + " bytes");
    }
    if (sr.hasMinBytes() && bytes < sr.getMinBytes()) {
      out.add(fp + ": at least " + sr.getMinBytes() + " bytes required");
    }
    if (sr.hasMaxBytes() && bytes > sr.getMaxBytes()) {
      out.add(fp + ": at most " + sr.getMaxBytes() + " bytes allowed");
    }
    if (sr.hasPrefix() && !s.startsWith(sr.getPrefix())) {
      out.add(fp + ": must start with " + sr.getPrefix());
    }
    if (sr.hasSuffix() && !s.endsWith(sr.getSuffix())) {
      out.add(fp + ": must end with " + sr.getSuffix());
    }
    if (sr.hasContains() && !s.contains(sr.getContains())) {
      out.add(fp + ": must contain " + sr.getContains());
    }
    if (sr.hasNotContains() && s.contains(sr.getNotContains())) {
      out.add(fp + ": must not contain " + sr.getNotContains());
    }
    if (sr.getInCount() > 0 && !sr.getInList().contains(s)) {
      out.add(fp + ": must be one of " + sr.getInList());
    }
    if (sr.getNotInList().contains(s)) {
      out.add(fp + ": must not be '" + s + "'");
    }
    if (sr.hasPattern() && !Pattern.compile(sr.getPattern()).matcher(s).find()) {
      out.add(fp + ": must match " + sr.getPattern());
    }
    if (sr.hasWellKnownRegex() && !s.isEmpty()) {
      Pattern p = switch (sr.getWellKnownRegex()) {
        case HTTP_HEADER_NAME -> HEADER_NAME;
        case HTTP_HEADER_VALUE -> HEADER_VALUE;
        default -> null;
      };
      if (p != null && sr.getStrict() && !p.matcher(s).matches()) {
        out.add(fp + ": not a valid " + sr.getWellKnownRegex());
      }
    }
  }
}
