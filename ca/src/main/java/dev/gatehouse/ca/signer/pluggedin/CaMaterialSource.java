package dev.gatehouse.ca.signer.pluggedin;

import java.io.IOException;
import java.util.Map;

/**
 * Where plugged-in CA files come from: a mounted directory ({@code /etc/cacerts}) or the {@code cacerts} Secret
 * read through the API. Returns file name to content for the names it has; thread-safe.
 */
public interface CaMaterialSource {
  Map<String, String> read() throws IOException;

  /** Whether any plugged-in material is present at all (decides plugged-in over self-signed). */
  boolean isPresent();

  String describe();
}
