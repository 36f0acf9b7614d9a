package dev.gatehouse.xds.authn;

/**
 * A key set that verifies no token: one RSA public key whose private key was discarded when it was generated (as
 * Istio inlines a "public only" JWKS when a jwksUri cannot be fetched). Inlined wherever the real keys are unknown,
 * so that every token is rejected instead of accepted.
 */
public final class FailClosedJwks {
  private FailClosedJwks() {}

  public static final String KEY_ID = "gatehouse-fail-closed";

  public static final String JSON =
      "{\"keys\":[{\"kty\":\"RSA\",\"alg\":\"RS256\",\"use\":\"sig\",\"kid\":\"" + KEY_ID + "\",\"e\":\"AQAB\",\"n\":\""
          + "0efI7zU1kQlWfbNf9T-76N67JT6Bl1sBklcUJdh8Lj2KisJ1olgZRf6HhKCdPLhbhwSI8hyCiUMK3ek2kAvsfoQCEk4bNuSq0SfSepbI"
          + "vMEoFMygdb35e6iOyLCFkoFL41mLXW-t157KEQWKmIbJVgMXAXX4per9UY2COKhm8T0M-JufioCxGisO9ZIpBk9ufIUnpmc2h-rT9Cds"
          + "oOAVQL9Ey0BvZ8EXkylKJdjtVNyNmblzYY3cBNONXADmGtlvdGE77gRuYWVOmDfKO_8WVnXlLSWQIdK7wSBpHopX-3CHeTDgZq78-2te"
          + "RxJrSpMXBwckL2yfygU_rEhlXvl6Mw\"}]}";
}
