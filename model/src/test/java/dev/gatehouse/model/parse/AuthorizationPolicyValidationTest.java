package dev.gatehouse.model.parse;

import static dev.gatehouse.model.parse.AuthorizationPolicyValidation.validate;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AuthorizationPolicyValidationTest {

  @Test
  void wellFormedPoliciesHaveNoErrors() {
    assertThat(validate(Specs.authz("{}"))).isEmpty();
    assertThat(validate(Specs.authz("rules: [{}]"))).isEmpty();
    assertThat(validate(Specs.authz("""
        action: DENY
        rules:
        - from: [{source: {notNamespaces: [foo]}}]
          to: [{operation: {ports: ["8080"], notPaths: [/healthz]}}]
          when: [{key: "request.auth.claims[groups]", values: [admin]}]
        """))).isEmpty();
  }

  @Test
  void customWithoutProviderIsRejected() {
    assertThat(validate(Specs.authz("action: CUSTOM\nrules: [{}]")))
        .containsExactly("`provider.name` must not be empty");
    assertThat(validate(Specs.authz("action: CUSTOM\nprovider: {name: ''}\nrules: [{}]")))
        .containsExactly("`provider.name` must not be empty");
  }

  @Test
  void customWithoutRulesIsRejected() {
    assertThat(validate(Specs.authz("action: CUSTOM\nprovider: {name: opa}"))).singleElement()
        .asString().startsWith("CUSTOM action without `rules` is meaningless");
  }

  @Test
  void customCannotUseIdentityFieldsItCannotSeeYet() {
    assertThat(validate(Specs.authz("""
        action: CUSTOM
        provider: {name: opa}
        rules:
        - from: [{source: {principals: [a], requestPrincipals: [b], ipBlocks: [127.0.0.1]}}]
          when:
          - {key: "request.auth.claims[iss]", values: [x]}
          - {key: source.namespace, values: [x]}
          - {key: "request.headers[x]", values: [x]}
        """))).containsExactly(
        "From.Principals is currently not supported with CUSTOM action",
        "From.RequestPrincipals is currently not supported with CUSTOM action",
        "request.auth.claims[iss] is currently not supported with CUSTOM action",
        "source.namespace is currently not supported with CUSTOM action");
  }

  @Test
  void providerWithANonCustomActionIsRejected() {
    assertThat(validate(Specs.authz("provider: {name: opa}\nrules: [{}]")))
        .containsExactly("`provider` must not be with non CUSTOM action, found ALLOW");
    assertThat(validate(Specs.authz("action: DENY\nprovider: {name: opa}\nrules: [{}]")))
        .containsExactly("`provider` must not be with non CUSTOM action, found DENY");
  }

  @Test
  void denyWithoutRulesIsRejectedBecauseItWouldDenyNothing() {
    assertThat(validate(Specs.authz("action: DENY"))).singleElement()
        .asString().startsWith("DENY action without `rules` is meaningless");
  }

  @Test
  void selectorTogetherWithTargetRefIsRejected() {
    assertThat(validate(Specs.authz("""
        selector: {matchLabels: {app: a}}
        targetRef: {kind: Service, name: a}
        """))).containsExactly("only one of targetRefs or workloadSelector can be set");
    assertThat(validate(Specs.authz("""
        selector: {matchLabels: {app: a}}
        targetRefs: [{kind: Service, name: a}]
        """))).containsExactly("only one of targetRefs or workloadSelector can be set");
  }

  @Test
  void targetRefsAreChecked() {
    assertThat(validate(Specs.authz("targetRefs: [{kind: Service, name: a}, {kind: Pod, name: b}]")))
        .singleElement().asString().endsWith("but was /Pod");
  }

  @Test
  void emptyFromSourceAndToOperationAreRejected() {
    assertThat(validate(Specs.authz("rules: [{from: [{}]}]")))
        .containsExactly("`from.source` must not be nil, found at rule 0");
    assertThat(validate(Specs.authz("rules: [{}, {from: [{source: {}}]}]")))
        .containsExactly("`from.source` must not be empty, found at rule 1");
    assertThat(validate(Specs.authz("rules: [{to: [{}]}]")))
        .containsExactly("`to.operation` must not be nil, found at rule 0");
    assertThat(validate(Specs.authz("rules: [{to: [{operation: {}}]}]")))
        .containsExactly("`to.operation` must not be empty, found at rule 0");
  }

  @Test
  void serviceAccountsCannotBeMixedWithPrincipalsOrNamespaces() {
    assertThat(validate(Specs.authz("rules: [{from: [{source: {serviceAccounts: [a/b], namespaces: [a]}}]}]")))
        .containsExactly("cannot set serviceAccounts with namespaces or principals, found at rule 0");
  }

  @Test
  void portsMustBeNumbers() {
    assertThat(validate(Specs.authz("rules: [{to: [{operation: {ports: [http], notPorts: [\"70000\"]}}]}]")))
        .containsExactly("bad port (http)", "bad port (70000)");
  }

  @Test
  void ipBlocksAndRemoteIpBlocksMustBeAddressesOrCidrs() {
    assertThat(validate(Specs.authz("""
        rules:
        - from:
          - source:
              ipBlocks: [127.0.0.0/33]
              notIpBlocks: [host.example]
              remoteIpBlocks: [127.0.0.1]
              notRemoteIpBlocks: ["::1/200"]
        """))).containsExactly("bad CIDR range (127.0.0.0/33)", "bad IP address (host.example)",
        "bad CIDR range (::1/200)");
  }

  @Test
  void emptyStringsInAnyListAreRejected() {
    assertThat(validate(Specs.authz("rules: [{to: [{operation: {methods: ['']}}]}]")))
        .containsExactly("empty value not allowed, found in Methods");
    assertThat(validate(Specs.authz("rules: [{from: [{source: {notRequestPrincipals: ['']}}]}]")))
        .containsExactly("empty value not allowed, found in NotRequestPrincipals");
  }

  @Test
  void conditionNeedsAKeyAndSomeValues() {
    assertThat(validate(Specs.authz("rules: [{when: [{key: source.ip}]}]")))
        .containsExactly("at least one of `values` or `notValues` must be set for key source.ip");
    assertThat(validate(Specs.authz("rules: [{when: [{values: [a]}]}]")))
        .containsExactly("`key` must not be empty");
  }

  @Test
  void conditionValuesAreValidatedForTheirKey() {
    assertThat(validate(Specs.authz("rules: [{when: [{key: source.ip, notValues: [nope]}]}]")))
        .containsExactly("invalid `notValue` for `key` source.ip: bad IP address (nope)");
    assertThat(validate(Specs.authz("rules: [{when: [{key: request.regex, values: [a]}]}]")))
        .containsExactly(
            "invalid `value` for `key` request.regex: unknown attribute: request.regex",
            "invalid `notValue` for `key` request.regex: unknown attribute: request.regex");
  }

  @Test
  void pathTemplatesAreValidated() {
    assertThat(validate(Specs.authz("rules: [{to: [{operation: {paths: [\"/a/{**}/b/{*}\"]}}]}]")))
        .singleElement().asString().endsWith("{**} is not the last operator");
  }

  @Test
  void trustDomainAndServiceAccountFormatsAreValidated() {
    assertThat(validate(Specs.authz("rules: [{from: [{source: {trustDomains: [a*b]}}]}]")))
        .singleElement().asString().startsWith("wildcard is only allowed at the start or end");
    assertThat(validate(Specs.authz("rules: [{from: [{source: {notServiceAccounts: [a/b/c]}}]}]")))
        .singleElement().asString().startsWith("expected format");
  }

  @Test
  void selectorWildcardsAreRejected() {
    assertThat(validate(Specs.authz("selector: {matchLabels: {app: '*'}}")))
        .containsExactly("wildcard is not supported in selector: \"app=*\"");
  }

  @Test
  void crdItemLimitsApply() {
    StringBuilder rules = new StringBuilder("rules: [");
    for (int i = 0; i < 513; i++) {
      rules.append(i == 0 ? "{}" : ", {}");
    }
    assertThat(validate(Specs.authz(rules + "]"))).containsExactly("rules may not have more than 512 items");

    StringBuilder from = new StringBuilder("rules: [{from: [");
    for (int i = 0; i < 513; i++) {
      from.append(i == 0 ? "" : ", ").append("{source: {namespaces: [n").append(i).append("]}}");
    }
    assertThat(validate(Specs.authz(from + "]}]")))
        .containsExactly("`from` may not have more than 512 items, found at rule 0");

    StringBuilder refs = new StringBuilder("targetRefs: [");
    for (int i = 0; i < 17; i++) {
      refs.append(i == 0 ? "" : ", ").append("{kind: Service, name: s").append(i).append("}");
    }
    assertThat(validate(Specs.authz(refs + "]"))).containsExactly("targetRefs may not have more than 16 items");
  }
}
