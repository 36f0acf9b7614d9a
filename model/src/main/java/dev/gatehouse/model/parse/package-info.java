/**
 * From Kubernetes objects to the mesh model. One parser serves both config sources, so a file and the same object in
 * a cluster always mean the same thing.
 *
 * <ul>
 *   <li>{@link dev.gatehouse.model.parse.KubernetesObjectParser}: one object (a generic map) to a
 *       {@link dev.gatehouse.model.parse.ParseResult}. {@code parseAll} also expands {@code List} and typed lists.
 *       Never throws on input.
 *   <li>{@link dev.gatehouse.model.parse.ParseResult.Parsed}: a model record, a {@code Policy}, or an
 *       {@code InvalidPolicy}. {@link dev.gatehouse.model.parse.ParseResult.Ignored}: a kind Gatehouse does not read
 *       (Deployment, ConfigMap, VirtualService...), or a finished pod. {@link dev.gatehouse.model.parse.ParseResult.Failed}:
 *       unusable input (no kind, apiVersion or name; not an object; an unknown kind in security.istio.io or
 *       networking.istio.io; a malformed Kubernetes field).
 *   <li>Istio security kinds are read strictly (unknown fields are errors) and then checked as Istio's CRD schema and
 *       validation webhook would ({@code *Validation} classes, one small static function per rule). Anything wrong
 *       with a security resource whose name is readable, including an apiVersion Istio does not serve, gives an
 *       {@code InvalidPolicy} rather than a {@code Failed}, so translation can fail closed for what it selects.
 *       DestinationRules ignore traffic fields Gatehouse does not model, but a TLS mode it does not know is an error
 *       (the lenient reader would otherwise read it as DISABLE).
 *   <li>{@link dev.gatehouse.model.parse.MeshSnapshotLoader}: multi-document YAML to results or to a whole
 *       {@code MeshSnapshot}, with the file source's YAML rules; used by golden tests.
 * </ul>
 */
package dev.gatehouse.model.parse;
