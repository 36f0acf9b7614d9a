package dev.gatehouse.ca.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;

/**
 * The only class that names Amazon Corretto Crypto Provider's classes, so that a build without its jar, or a JVM
 * where its native library does not load (another OS or CPU, a read-only temporary directory), fails here with an
 * error {@link CaCrypto} turns into a fallback, not anywhere else.
 */
final class AccpLoader {
  private AccpLoader() {}

  static Provider load() throws CaCrypto.NativeUnavailableException {
    AmazonCorrettoCryptoProvider accp;
    try {
      accp = AmazonCorrettoCryptoProvider.INSTANCE;
    } catch (LinkageError e) {
      throw new CaCrypto.NativeUnavailableException("Amazon Corretto Crypto Provider is not on the class path or does not link: " + e, e);
    }
    Throwable loadingError = accp.getLoadingError();
    if (loadingError != null) {
      throw new CaCrypto.NativeUnavailableException("Amazon Corretto Crypto Provider's native library did not load: "
          + loadingError.getMessage(), loadingError);
    }
    try {
      accp.assertHealthy();
    } catch (RuntimeException e) {
      throw new CaCrypto.NativeUnavailableException("Amazon Corretto Crypto Provider failed its self-tests: " + e.getMessage(), e);
    }
    return accp;
  }

  /** {@code AWS-LC v1.47.0}, or empty for another provider. */
  static String libraryVersion(Provider provider) {
    try {
      return provider instanceof AmazonCorrettoCryptoProvider accp ? accp.getAwsLcVersionStr() : "";
    } catch (LinkageError e) {
      return "";
    }
  }
}
