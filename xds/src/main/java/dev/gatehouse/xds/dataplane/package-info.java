/**
 * What the data plane does with the configuration Gatehouse sends it, modelled from Envoy's documented semantics
 * (and grpc-java's, for proxyless servers): which inbound filter chain a connection lands on, and whether the RBAC,
 * ext_authz and jwt_authn filters of that chain let a request through. Used by the decision tests of the translation
 * and by {@code explain}, so that an explanation evaluates exactly the resources a proxy receives. Pure; anything it
 * does not model raises {@link dev.gatehouse.xds.dataplane.NotEvaluable}, never "allow".
 */
package dev.gatehouse.xds.dataplane;
