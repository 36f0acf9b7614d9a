package dev.gatehouse.xds.dataplane;

import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.FilterChainMatch;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Envoy's filter chain selection for one connection (listener.proto, FilterChainMatch): the criteria are applied in
 * order (destination port, destination IP, server name, transport protocol, application protocols, then the source
 * criteria), and at each level only the chains with the most specific match survive: chains naming the connection's
 * value if there are any, otherwise chains that leave the field empty. Envoy never backtracks to a less specific
 * level, so a port with chains for {@code tls} only refuses a plaintext connection even when a port-less chain
 * would accept it. No chain left: the connection is closed (or handed to {@code default_filter_chain}). Pure.
 */
public final class InboundChainSelector {
  private InboundChainSelector() {}

  /**
   * A connection as the listener filters see it.
   *
   * @param destinationPort the original destination port (original_dst)
   * @param transportProtocol {@code tls} when the client sent a TLS ClientHello, else {@code raw_buffer}
   *     (tls_inspector)
   * @param applicationProtocols ALPN the client offered, or for plaintext what http_inspector detected
   *     ({@code http/1.1}, {@code h2c}); empty for opaque TCP
   */
  public record Connection(int destinationPort, String transportProtocol, List<String> applicationProtocols) {
    public Connection {
      applicationProtocols = List.copyOf(applicationProtocols);
    }
  }

  /** The chain Envoy would use for {@code c}, or empty when it would close the connection. */
  public static Optional<FilterChain> select(Listener listener, Connection c) {
    List<FilterChain> candidates = new ArrayList<>(listener.getFilterChainsList());
    for (FilterChain chain : candidates) {
      unsupported(chain);
    }
    candidates = level(candidates, m -> m.hasDestinationPort(), m -> m.getDestinationPort().getValue() == c.destinationPort());
    candidates = level(candidates, m -> !m.getTransportProtocol().isEmpty(),
        m -> m.getTransportProtocol().equals(c.transportProtocol()));
    candidates = level(candidates, m -> m.getApplicationProtocolsCount() > 0,
        m -> m.getApplicationProtocolsList().stream().anyMatch(c.applicationProtocols()::contains));
    if (candidates.size() > 1) {
      throw new NotEvaluable("listener " + listener.getName() + ": more than one filter chain matches "
          + c + " (" + candidates.stream().map(FilterChain::getName).toList() + "); Envoy would reject the listener");
    }
    if (candidates.isEmpty()) {
      return listener.hasDefaultFilterChain() ? Optional.of(listener.getDefaultFilterChain()) : Optional.empty();
    }
    return Optional.of(candidates.get(0));
  }

  private static List<FilterChain> level(
      List<FilterChain> in, Predicate<FilterChainMatch> specified, Predicate<FilterChainMatch> matches) {
    List<FilterChain> specific = new ArrayList<>();
    List<FilterChain> open = new ArrayList<>();
    for (FilterChain chain : in) {
      FilterChainMatch m = chain.getFilterChainMatch();
      if (!specified.test(m)) {
        open.add(chain);
      } else if (matches.test(m)) {
        specific.add(chain);
      }
    }
    return specific.isEmpty() ? open : specific;
  }

  /** Criteria Gatehouse does not generate; evaluating them here would be guessing. */
  private static void unsupported(FilterChain chain) {
    FilterChainMatch m = chain.getFilterChainMatch();
    List<Function<FilterChainMatch, Boolean>> set = List.of(
        x -> x.getPrefixRangesCount() > 0,
        x -> x.getServerNamesCount() > 0,
        x -> x.getDirectSourcePrefixRangesCount() > 0,
        x -> x.getSourceType() != FilterChainMatch.ConnectionSourceType.ANY,
        x -> x.getSourcePrefixRangesCount() > 0,
        x -> x.getSourcePortsCount() > 0,
        x -> !x.getAddressSuffix().isEmpty());
    for (Function<FilterChainMatch, Boolean> f : set) {
      if (f.apply(m)) {
        throw new NotEvaluable("filter chain " + chain.getName() + " matches on IPs, server names or source "
            + "criteria, which the evaluator does not model");
      }
    }
  }
}
