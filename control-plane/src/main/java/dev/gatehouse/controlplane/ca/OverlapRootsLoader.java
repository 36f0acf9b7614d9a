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
 * {@code gatehouse.ca.overlap-roots.*}: wraps the chosen signer in an {@link OverlappingTrustSigner} when an overlap
 * is configured. Fails closed: a file that cannot be read, holds no certificate, holds garbage or a non-CA
 * certificate, or an overlap without a parseable end, refuses the start naming the property. An overlap that has
 * already ended, or whose roots have all expired, is not an error (trusting fewer roots is the safe side): it is
 * logged and nothing is wrapped.
 */
final class OverlapRootsLoader {
  private static final Logger log = LoggerFactory.getLogger(OverlapRootsLoader.class);

  private OverlapRootsLoader() {}

  static CertificateSigner wrap(CertificateSigner signer, CaProperties.OverlapRoots overlap, Clock clock) {
    boolean hasFile = overlap.file() != null && !overlap.file().toString().isBlank();
    boolean hasUntil = overlap.until() != null && !overlap.until().isBlank();
    if (!hasFile && !hasUntil) {
      return signer;
    }
    if (!hasFile) {
      throw new IllegalStateException("gatehouse.ca.overlap-roots.until is set but gatehouse.ca.overlap-roots.file is"
          + " not: name the PEM file (or directory) of the roots to keep trusting");
    }
    if (!hasUntil) {
      throw new IllegalStateException("gatehouse.ca.overlap-roots.file is set but gatehouse.ca.overlap-roots.until is"
          + " not: an overlap needs an end (ISO-8601 instant, e.g. 2026-12-20T00:00:00Z), or the old CA stays trusted"
          + " forever");
    }
    Instant until;
    try {
      until = Instant.parse(overlap.until().trim());
    } catch (DateTimeParseException e) {
      throw new IllegalStateException("gatehouse.ca.overlap-roots.until '" + overlap.until()
          + "' is not an ISO-8601 instant (e.g. 2026-12-20T00:00:00Z)", e);
    }
    List<X509Certificate> roots = load(overlap.file());
    Instant now = clock.instant();
    if (!now.isBefore(until)) {
      log.warn("gatehouse.ca.overlap-roots: the overlap ended at {}; the {} root(s) in {} are not trusted"
          + " (remove the setting)", until, roots.size(), overlap.file());
      return signer;
    }
    if (roots.stream().noneMatch(r -> now.isBefore(r.getNotAfter().toInstant()))) {
      log.warn("gatehouse.ca.overlap-roots: every root in {} has expired; nothing to keep trusting", overlap.file());
      return signer;
    }
    OverlappingTrustSigner overlapping;
    try {
      overlapping = new OverlappingTrustSigner(signer, roots, until, clock);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("gatehouse.ca.overlap-roots.file " + overlap.file() + ": " + e.getMessage(), e);
    }
    log.info("CA mode switch: {} overlap root(s) from {} stay in the trust bundle until {}: {}", roots.size(),
        overlap.file(), until, roots.stream().map(r -> r.getSubjectX500Principal().getName()).toList());
    return overlapping;
  }

  /** Every certificate of the file, or of every regular file in the directory not starting with "." (each must hold one). */
  static List<X509Certificate> load(Path path) {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(path)) {
      try (Stream<Path> list = Files.list(path)) {
        list.filter(p -> !p.getFileName().toString().startsWith(".")).filter(Files::isRegularFile).sorted()
            .forEach(files::add);
      } catch (IOException e) {
        throw new IllegalStateException("gatehouse.ca.overlap-roots.file " + path + ": the directory cannot be read ("
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
        throw new IllegalStateException("gatehouse.ca.overlap-roots.file " + file + " cannot be read (" + e + ")", e);
      }
      List<X509Certificate> certificates;
      try {
        certificates = PemCodec.decodeCertificates(pem);
      } catch (PemCodec.PemException | RuntimeException e) {
        throw new IllegalStateException("gatehouse.ca.overlap-roots.file " + file + " is not a PEM certificate bundle ("
            + e.getMessage() + ")", e);
      }
      if (certificates.isEmpty()) {
        throw new IllegalStateException("gatehouse.ca.overlap-roots.file " + file + " holds no PEM certificate");
      }
      roots.addAll(certificates);
    }
    if (roots.isEmpty()) {
      throw new IllegalStateException("gatehouse.ca.overlap-roots.file " + path + " holds no certificate");
    }
    return roots;
  }
}
