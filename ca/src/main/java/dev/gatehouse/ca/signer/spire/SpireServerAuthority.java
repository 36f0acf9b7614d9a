package dev.gatehouse.ca.signer.spire;

import com.google.protobuf.ByteString;
import dev.gatehouse.api.spire.server.bundle.v1.BundleGrpc;
import dev.gatehouse.api.spire.server.bundle.v1.GetBundleRequest;
import dev.gatehouse.api.spire.server.svid.v1.MintX509SVIDRequest;
import dev.gatehouse.api.spire.server.svid.v1.MintX509SVIDResponse;
import dev.gatehouse.api.spire.server.svid.v1.NewDownstreamX509CARequest;
import dev.gatehouse.api.spire.server.svid.v1.NewDownstreamX509CAResponse;
import dev.gatehouse.api.spire.server.svid.v1.SVIDGrpc;
import dev.gatehouse.api.spire.types.Bundle;
import dev.gatehouse.api.spire.types.BundleMask;
import dev.gatehouse.ca.signer.SigningRequest;
import dev.gatehouse.ca.signer.upstream.UpstreamAuthority;
import dev.gatehouse.ca.signer.upstream.UpstreamException;
import dev.gatehouse.ca.signer.upstream.UpstreamException.Kind;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SPIRE Server as the upstream CA, through its Server API ({@code spire-api-sdk}): leaf mode calls
 * {@code spire.api.server.svid.v1.SVID/MintX509SVID} with the workload's DER CSR over the server's Unix domain socket
 * (callers there are "local"); intermediate mode calls {@code SVID/NewDownstreamX509CA} over mTLS with a downstream
 * X509-SVID; both read the trust bundle with {@code spire.api.server.bundle.v1.Bundle/GetBundle}. The server's trust
 * domain must be the mesh's: a bundle for another trust domain is refused (and stops the start,
 * {@link #checkTrustDomain()}). Every RPC has a deadline; gRPC {@code UNAVAILABLE}, {@code DEADLINE_EXCEEDED},
 * {@code RESOURCE_EXHAUSTED} (SPIRE's rate limits), {@code ABORTED} and {@code INTERNAL} are outages, the rest
 * refusals naming the RPC. Thread-safe.
 */
public final class SpireServerAuthority implements UpstreamAuthority {
  private static final Logger log = LoggerFactory.getLogger(SpireServerAuthority.class);
  private static final String MINT = "spire.api.server.svid.v1.SVID/MintX509SVID";
  private static final String DOWNSTREAM = "spire.api.server.svid.v1.SVID/NewDownstreamX509CA";
  private static final String GET_BUNDLE = "spire.api.server.bundle.v1.Bundle/GetBundle";

  private final SpireSettings settings;
  private final SpireServerChannels channels;
  private volatile long bundleSequence = -1;

  public SpireServerAuthority(SpireSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.channels = new SpireServerChannels(settings);
  }

  @Override
  public String name() {
    return "spire";
  }

  @Override
  public String describe() {
    return settings.isDownstream()
        ? "SPIRE Server " + settings.serverAddress() + " (downstream)"
        : "SPIRE Server unix:" + settings.socket();
  }

  @Override
  public UpstreamChain signLeaf(SigningRequest request) throws UpstreamException {
    if (settings.isDownstream()) {
      throw new UpstreamException(Kind.REFUSED, "intermediate mode signs leaves locally, not with " + MINT);
    }
    MintX509SVIDResponse response;
    try {
      response = SVIDGrpc.newBlockingStub(channels.channel())
          .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
          .mintX509SVID(MintX509SVIDRequest.newBuilder()
              .setCsr(ByteString.copyFrom(encoded(request.csr())))
              .setTtl(seconds(request.ttl()))
              .build());
    } catch (StatusRuntimeException e) {
      throw failure(MINT, e);
    }
    if (!response.hasSvid() || response.getSvid().getCertChainCount() == 0) {
      throw new UpstreamException(Kind.INVALID_ANSWER, describe() + " " + MINT + " answered without an X509-SVID");
    }
    String id = "spiffe://" + response.getSvid().getId().getTrustDomain() + response.getSvid().getId().getPath();
    if (!id.equals(request.identity().toString())) {
      throw new UpstreamException(Kind.INVALID_ANSWER, describe() + " " + MINT + " answered an SVID for " + id
          + ", expected " + request.identity());
    }
    return new UpstreamChain(certificates(response.getSvid().getCertChainList(), MINT, "cert_chain"), List.of());
  }

  @Override
  public UpstreamChain signIntermediate(PKCS10CertificationRequest csr, Duration ttl) throws UpstreamException {
    if (!settings.isDownstream()) {
      throw new UpstreamException(Kind.REFUSED, DOWNSTREAM + " needs gatehouse.ca.spire.server-address and a downstream"
          + " X509-SVID: a caller on the local socket is not a downstream");
    }
    NewDownstreamX509CAResponse response;
    try {
      response = SVIDGrpc.newBlockingStub(channels.channel())
          .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
          .newDownstreamX509CA(NewDownstreamX509CARequest.newBuilder()
              .setCsr(ByteString.copyFrom(encoded(csr)))
              .setPreferredTtl(seconds(ttl))
              .build());
    } catch (StatusRuntimeException e) {
      throw failure(DOWNSTREAM, e);
    }
    if (response.getCaCertChainCount() == 0) {
      throw new UpstreamException(Kind.INVALID_ANSWER, describe() + " " + DOWNSTREAM + " answered no CA certificate");
    }
    return new UpstreamChain(certificates(response.getCaCertChainList(), DOWNSTREAM, "ca_cert_chain"),
        certificates(response.getX509AuthoritiesList(), DOWNSTREAM, "x509_authorities"));
  }

  @Override
  public List<X509Certificate> fetchRoots() throws UpstreamException {
    return roots(bundle());
  }

  /**
   * Reads the bundle once; a server for another trust domain is a configuration error that must stop the start.
   *
   * @return false when the server cannot be reached now (the signer keeps trying)
   * @throws IllegalStateException when the server's trust domain differs from the mesh's
   */
  public boolean checkTrustDomain() {
    try {
      bundle();
      return true;
    } catch (UpstreamException e) {
      if (e.kind() == Kind.REFUSED && e.getMessage().contains("trust domain")) {
        throw new IllegalStateException(e.getMessage());
      }
      log.warn("{} not reachable at start ({}); the CA stays not ready until it answers", describe(), e.getMessage());
      return false;
    }
  }

  private Bundle bundle() throws UpstreamException {
    Bundle bundle;
    try {
      bundle = BundleGrpc.newBlockingStub(channels.channel())
          .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
          .getBundle(GetBundleRequest.newBuilder().setOutputMask(BundleMask.newBuilder()
              .setX509Authorities(true).setRefreshHint(true).setSequenceNumber(true)).build());
    } catch (StatusRuntimeException e) {
      throw failure(GET_BUNDLE, e);
    }
    if (!settings.trustDomain().equals(bundle.getTrustDomain())) {
      throw new UpstreamException(Kind.REFUSED, "trust domain mismatch: " + describe() + " serves trust domain \""
          + bundle.getTrustDomain() + "\" but the mesh's is \"" + settings.trustDomain()
          + "\" (gatehouse.trust-domain); Gatehouse will not sign for it");
    }
    return bundle;
  }

  private List<X509Certificate> roots(Bundle bundle) throws UpstreamException {
    List<ByteString> der = new ArrayList<>();
    int tainted = 0;
    for (var authority : bundle.getX509AuthoritiesList()) {
      der.add(authority.getAsn1());
      tainted += authority.getTainted() ? 1 : 0;
    }
    if (bundle.getSequenceNumber() != bundleSequence) {
      bundleSequence = bundle.getSequenceNumber();
      if (tainted > 0) {
        // A tainted authority is being revoked; SPIRE keeps it in the bundle until its SVIDs are replaced.
        log.warn("{} bundle #{} has {} tainted X.509 authorit{}", describe(), bundle.getSequenceNumber(), tainted,
            tainted == 1 ? "y" : "ies");
      }
    }
    return certificates(der, GET_BUNDLE, "x509_authorities");
  }

  private UpstreamException failure(String rpc, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String detail = describe() + " " + rpc + ": " + code
        + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription());
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN, CANCELLED ->
          new UpstreamException(Kind.UNAVAILABLE, "unavailable: " + detail, e);
      default -> new UpstreamException(Kind.REFUSED, "refused: " + detail, e);
    };
  }

  private List<X509Certificate> certificates(List<ByteString> der, String rpc, String field) throws UpstreamException {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (ByteString bytes : der) {
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(bytes.toByteArray())));
      }
    } catch (CertificateException | RuntimeException e) {
      throw new UpstreamException(Kind.INVALID_ANSWER, describe() + " " + rpc + " answered a " + field
          + " that is not DER certificates: " + e.getMessage());
    }
    return out;
  }

  private static byte[] encoded(PKCS10CertificationRequest csr) throws UpstreamException {
    if (csr == null) {
      throw new UpstreamException(Kind.REFUSED, "SPIRE signs CSRs: the request has none");
    }
    try {
      return csr.getEncoded();
    } catch (IOException e) {
      throw new UpstreamException(Kind.REFUSED, "cannot encode the CSR: " + e.getMessage(), e);
    }
  }

  private static int seconds(Duration ttl) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, ttl.toSeconds()));
  }

  @Override
  public void close() {
    channels.close();
  }
}
