package dev.gatehouse.xds;

/**
 * Something translation did that an operator should know about but that is not an error: a port left plaintext
 * by {@link TranslationOptions#plaintextInboundPorts()}, a policy Istio ignores, a proxyless limitation.
 *
 * @param subject what it is about, e.g. "Pod shop/cart-1 port 8081" or "PeerAuthentication istio-system/x"
 * @param message what happened and why, in an operator's words
 */
public record TranslationNotice(String subject, String message) {}
