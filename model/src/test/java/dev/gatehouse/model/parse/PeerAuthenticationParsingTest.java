package dev.gatehouse.model.parse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication;
import dev.gatehouse.api.istio.security.v1beta1.PeerAuthentication.MutualTLS.Mode;
import dev.gatehouse.model.InvalidPolicy;
import dev.gatehouse.model.Policy;
import dev.gatehouse.model.PolicyKind;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PeerAuthenticationParsingTest {
  private static List<ParseResult> fixture;

  @BeforeAll
  static void load() {
    fixture = Fixtures.resource("peer-authentications.yaml");
  }

  @Test
  void meshNamespaceAndWorkloadScopesParse() {
    assertThat(fixture).hasSize(5);
    Policy<PeerAuthentication> mesh = Fixtures.policyIn(fixture, "istio-system", "default");
    assertThat(mesh.kind()).isEqualTo(PolicyKind.PEER_AUTHENTICATION);
    assertThat(mesh.spec().getMtls().getMode()).isEqualTo(Mode.STRICT);
    assertThat(mesh.spec().hasSelector()).isFalse();

    Policy<PeerAuthentication> foo = Fixtures.policyIn(fixture, "foo", "default");
    assertThat(foo.spec().getMtls().getMode()).isEqualTo(Mode.PERMISSIVE);

    Policy<PeerAuthentication> bar = Fixtures.policyIn(fixture, "bar", "default");
    assertThat(bar.meta().apiVersion()).isEqualTo("security.istio.io/v1beta1");
    assertThat(bar.spec().getMtls().getMode()).isEqualTo(Mode.DISABLE);
  }

  @Test
  void portLevelMtlsIsKeyedByPortNumberWhetherWrittenAsIntegerOrString() {
    PeerAuthentication finance = Fixtures.<PeerAuthentication>policyIn(fixture, "foo", "finance").spec();
    assertThat(finance.getSelector().getMatchLabelsMap()).isEqualTo(Map.of("app", "finance"));
    assertThat(finance.getMtls().getMode()).isEqualTo(Mode.STRICT);
    assertThat(finance.getPortLevelMtlsMap()).containsOnlyKeys(8080, 9090, 9443);
    assertThat(finance.getPortLevelMtlsMap().get(8080).getMode()).isEqualTo(Mode.DISABLE);
    assertThat(finance.getPortLevelMtlsMap().get(9090).getMode()).isEqualTo(Mode.PERMISSIVE);
    assertThat(finance.getPortLevelMtlsMap().get(9443).getMode()).isEqualTo(Mode.UNSET);
  }

  @Test
  void aWorkloadPolicyWithoutMtlsInheritsAsUnset() {
    PeerAuthentication legacy = Fixtures.<PeerAuthentication>policyIn(fixture, "foo", "inherit").spec();
    assertThat(legacy.hasMtls()).isFalse();
    assertThat(legacy.getMtls().getMode()).isEqualTo(Mode.UNSET);
  }

  @Test
  void portLevelMtlsWithoutSelectorIsRejectedAsIstioDoes() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: foo}
        spec:
          mtls: {mode: STRICT}
          portLevelMtls:
            8080: {mode: DISABLE}
        """);
    assertThat(p.kind()).isEqualTo(PolicyKind.PEER_AUTHENTICATION);
    assertThat(p.reason()).isEqualTo("mesh/namespace peer authentication cannot have port level mTLS");
    assertThat(p.selector()).isEqualTo(Optional.of(Map.of()));
    assertThat(p.action()).isEmpty();
  }

  @Test
  void anUnknownModeIsInvalidNotPermissive() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: typo, namespace: foo}
        spec:
          selector: {matchLabels: {app: db}}
          mtls: {mode: STRCT}
        """);
    assertThat(p.reason()).contains("STRCT");
    assertThat(p.selector()).contains(Map.of("app", "db"));
  }

  @Test
  void aPortThatIsNotANumberIsInvalid() {
    InvalidPolicy p = Fixtures.invalid("""
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: named-port, namespace: foo}
        spec:
          selector: {matchLabels: {app: db}}
          portLevelMtls:
            http: {mode: DISABLE}
        """);
    assertThat(p.reason()).startsWith("spec: ");
  }
}
