package dev.gatehouse.ca.auth;

import com.nimbusds.jwt.JWTParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Identities of tokens that already passed verification, until the token's {@code exp} but never longer than
 * {@code maxTtl}, in a bounded LRU. Only SHA-256 digests of tokens are kept. Thread-safe (one lock; entries are tiny).
 */
final class VerifiedTokenCache {
  private final Clock clock;
  private final int maxEntries;
  private final Duration maxTtl;
  // Guarded by itself; access-ordered for LRU eviction.
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);

  private record Entry(CallerIdentity identity, Instant until) {}

  VerifiedTokenCache(Clock clock, int maxEntries, Duration maxTtl) {
    this.clock = clock;
    this.maxEntries = maxEntries;
    this.maxTtl = maxTtl;
  }

  Optional<CallerIdentity> get(String token) {
    String key = digest(token);
    Instant now = clock.instant();
    synchronized (entries) {
      Entry entry = entries.get(key);
      if (entry == null) {
        return Optional.empty();
      }
      if (!now.isBefore(entry.until())) {
        entries.remove(key);
        return Optional.empty();
      }
      return Optional.of(entry.identity());
    }
  }

  /** Remembers {@code identity} for {@code token} until {@code expiry} (if known) or the TTL bound. */
  void put(String token, CallerIdentity identity, Optional<Instant> expiry) {
    Instant now = clock.instant();
    Instant limit = now.plus(maxTtl);
    Instant until = expiry.filter(e -> e.isBefore(limit)).orElse(limit);
    if (maxEntries <= 0 || !until.isAfter(now)) {
      return;
    }
    String key = digest(token);
    synchronized (entries) {
      entries.put(key, new Entry(identity, until));
      if (entries.size() > maxEntries) {
        entries.values().removeIf(e -> !now.isBefore(e.until()));
        Iterator<Map.Entry<String, Entry>> eldest = entries.entrySet().iterator();
        while (entries.size() > maxEntries && eldest.hasNext()) {
          eldest.next();
          eldest.remove();
        }
      }
    }
  }

  int size() {
    synchronized (entries) {
      return entries.size();
    }
  }

  /** The token's unverified {@code exp}, used only to bound how long a verified result is reused. */
  static Optional<Instant> unverifiedExpiry(String token) {
    try {
      return Optional.ofNullable(JWTParser.parse(token).getJWTClaimsSet().getExpirationTime()).map(Date::toInstant);
    } catch (ParseException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static String digest(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
