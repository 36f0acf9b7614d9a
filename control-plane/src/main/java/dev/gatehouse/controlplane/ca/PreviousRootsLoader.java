package dev.gatehouse.controlplane.ca;

import dev.gatehouse.ca.pem.PemCodec;
import dev.gatehouse.ca.signer.CertificateSigner;
import dev.gatehouse.ca.signer.OverlappingTrustSigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code gatehouse.ca.previous-roots.*}: wraps the chosen signer in an {@link OverlappingTrustSigner} when an overlap
 * is configured. Fails closed: a file that cannot be read, holds no certificate, holds garbage or a non-CA
 * certificate, or an overlap without a parseable end, refuses the start naming the property. An overlap that has
 * already ended, or whose roots have all expired, is not an error (trusting fewer roots is the safe side): it is
 * logged and nothing is wrapped.
 */
final class PreviousRootsLoader {
  private static final Logger log = LoggerFactory.getLogger(PreviousRootsLoader.class);

  private PreviousRootsLoader() {}

  static CertificateSigner wrap(CertificateSigner signer, CaProperties.PreviousRoots previous, Clock clock) {
    boolean hasFile = previous.file() != null && !previous.file().toString().isBlank();
    boolean hasUntil = previous.until() != null && !previous.until().isBlank();
    if (!hasFile && !hasUntil) {
      return signer;
    }
    if (!hasFile) {
      throw new IllegalStateException("gatehouse.ca.previous-roots.until is set but gatehouse.ca.previous-roots.file is"
          + " not: name the PEM file (or directory) of the roots to keep trusting");
    }
    if (!hasUntil) {
      throw new IllegalStateException("gatehouse.ca.previous-roots.file is set but gatehouse.ca.previous-roots.until is"
          + " not: an overlap needs an end (ISO-8601 instant, e.g. 2026-12-20T00:00:00Z), or the old CA stays trusted"
          + " forever");
    }
    Instant until;
    try {
      until = Instant.parse(previous.until().trim());
    } catch (DateTimeParseException e) {
      throw new IllegalStateException("gatehouse.ca.previous-roots.until '" + previous.until()
          + "' is not an ISO-8601 instant (e.g. 2026-12-20T00:00:00Z)", e);
    }
    List<X509Certificate> roots = load(previous.file());
    Instant now = clock.instant();
    if (!now.isBefore(until)) {
      log.warn("gatehouse.ca.previous-roots: the overlap ended at {}; the {} previous root(s) in {} are not trusted"
          + " (remove the setting)", until, roots.size(), previous.file());
      return signer;
    }
    if (roots.stream().noneMatch(r -> now.isBefore(r.getNotAfter().toInstant()))) {
      log.warn("gatehouse.ca.previous-roots: every root in {} has expired; nothing to keep trusting", previous.file());
      return signer;
    }
    OverlappingTrustSigner overlap;
    try {
      overlap = new OverlappingTrustSigner(signer, roots, until, clock);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("gatehouse.ca.previous-roots.file " + previous.file() + ": " + e.getMessage(), e);
    }
    log.info("CA mode switch: {} previous root(s) from {} stay in the trust bundle until {}: {}", roots.size(),
        previous.file(), until, roots.stream().map(r -> r.getSubjectX500Principal().getName()).toList());
    return overlap;
  }

  /** Every certificate of the file, or of every regular file in the directory not starting with "." (each must hold one). */
  static List<X509Certificate> load(Path path) {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> list = Files.list(path)) {
        list.filter(p -> !p.getFileName().toString().startsWith(".")).filter(Files::isRegularFile).sorted()
            .forEach(files::add);
      } catch (IOException e) {
        throw new IllegalStateException("gatehouse.ca.previous-roots.file " + path + ": the directory cannot be read ("
            + e.getMessage() + ")", e);
      }
    } else {
      files.add(path);
    }
    List<X509Certificate> roots = new ArrayList<>();
    for (Path file : files) {
      String pem;
      try {
        pem = Files.readString(file);
      } catch (IOException e) {
        throw new IllegalStateException("gatehouse.ca.previous-roots.file " + file + " cannot be read (" + e + ")", e);
      }
      List<X509Certificate> certificates;
      try {
        certificates = PemCodec.decodeCertificates(pem);
      } catch (PemCodec.PemException | RuntimeException e) {
        throw new IllegalStateException("gatehouse.ca.previous-roots.file " + file + " is not a PEM certificate bundle ("
            + e.getMessage() + ")", e);
      }
      if (certificates.isEmpty()) {
        throw new IllegalStateException("gatehouse.ca.previous-roots.file " + file + " holds no PEM certificate");
      }
      roots.addAll(certificates);
    }
    if (roots.isEmpty()) {
      throw new IllegalStateException("gatehouse.ca.previous-roots.file " + path + " holds no certificate");
    }
    return roots;
  }
}
