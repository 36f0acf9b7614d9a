package dev.gatehouse.xds.authz;

import java.util.ArrayList;
import java.util.List;

/** Parses the bracketed part of {@code when} keys: "[name]" and nested "[a][b]" (Istio extractNameInBrackets). */
final class BracketedNames {
  private BracketedNames() {}

  static String single(String s, String key) throws Untranslatable {
    if (s.length() < 3 || s.charAt(0) != '[' || s.charAt(s.length() - 1) != ']') {
      throw new Untranslatable("invalid key \"" + key + "\": expecting [<NAME>]");
    }
    return s.substring(1, s.length() - 1);
  }

  /** "[a][b]" gives [a, b]; "[a.b]" gives [a.b]. */
  static List<String> nested(String s, String key) throws Untranslatable {
    List<String> names = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      if (s.charAt(i) != '[') {
        throw new Untranslatable("invalid key \"" + key + "\": expecting [<NAME>]...");
      }
      int end = s.indexOf(']', i);
      int nextOpen = s.indexOf('[', i + 1);
      if (end < 0 || (nextOpen >= 0 && nextOpen < end) || end == i + 1) {
        throw new Untranslatable("invalid key \"" + key + "\": expecting [<NAME>]...");
      }
      names.add(s.substring(i + 1, end));
      i = end + 1;
    }
    if (names.isEmpty()) {
      throw new Untranslatable("invalid key \"" + key + "\": expecting [<NAME>]");
    }
    return names;
  }
}
