// The Java verifier of the interop matrix: Nimbus JOSE+JWT, used as a relying party uses it.
//
//   java -cp classes:lib/* Verify CASES.json  ->  {"libraries": [{name, version, results}]}
//
// mode "default": DefaultJWTProcessor with a JWSVerificationKeySelector(alg, JWKSource) where the
// JWKSource is JWKSourceBuilder.create(jwksUrl).build() (fetches over HTTP, caches 5 minutes,
// refetches on an unknown kid, rate-limited), and a DefaultJWTClaimsVerifier (audience, exp
// required) whose currentTime() is the corpus clock. This is what Spring Security's
// NimbusJwtDecoder does.
//
// mode "ed25519-verifier" (EdDSA and Ed25519 cases only): DefaultJWTProcessor's key selector converts JWKs to
// java.security keys, which Nimbus does not do for OKP keys, so it finds no key for an EdDSA
// token. A relying party then selects the JWK by kid from the same JWKSource
// (JWKMatcher.forJWSHeader) and builds an Ed25519Verifier from the OctetKeyPair (Tink on the
// class path), and checks the claims with the same claims verifier.
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

public class Verify {
    static Map<String, Object> result(String id, String mode, Exception error) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("mode", mode);
        r.put("result", error == null ? "accept" : "refuse");
        String detail = error == null ? "" : error.getClass().getSimpleName() + ": " + error.getMessage();
        r.put("detail", detail.length() > 300 ? detail.substring(0, 300) : detail);
        return r;
    }

    static String version() throws Exception {
        try (InputStream in = Verify.class.getResourceAsStream(
                "/META-INF/maven/com.nimbusds/nimbus-jose-jwt/pom.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> corpus = JSONObjectUtils.parse(Files.readString(Path.of(args[0])));
        final Date clock = new Date(JSONObjectUtils.getLong(corpus, "clock") * 1000L);
        String audience = JSONObjectUtils.getString(corpus, "audience");
        DefaultJWTClaimsVerifier<SecurityContext> claims =
                new DefaultJWTClaimsVerifier<>(audience, new JWTClaimsSet.Builder().build(), Set.of("exp")) {
                    @Override
                    protected Date currentTime() {
                        return clock;
                    }
                };
        Map<String, JWKSource<SecurityContext>> sources = new HashMap<>();
        List<Object> results = new ArrayList<>();
        for (Object o : JSONObjectUtils.getJSONArray(corpus, "cases")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = (Map<String, Object>) o;
            String id = (String) c.get("id");
            String alg = (String) c.get("alg");
            String token = (String) c.get("token");
            String url = (String) c.get("jwks_url");
            JWKSource<SecurityContext> source = sources.get(url);
            if (source == null) {
                source = JWKSourceBuilder.create(new URL(url)).build();
                sources.put(url, source);
            }
            try {
                DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
                processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.parse(alg), source));
                processor.setJWTClaimsSetVerifier(claims);
                processor.process(token, null);
                results.add(result(id, "default", null));
            } catch (Exception e) {
                results.add(result(id, "default", e));
            }
            if (alg.equals("EdDSA") || alg.equals("Ed25519")) {
                try {
                    SignedJWT jwt = SignedJWT.parse(token);
                    JWSHeader header = jwt.getHeader();
                    if (!header.getAlgorithm().equals(JWSAlgorithm.parse(alg))) {
                        throw new IllegalArgumentException("algorithm " + header.getAlgorithm() + " not accepted");
                    }
                    List<JWK> keys = source.get(new JWKSelector(JWKMatcher.forJWSHeader(header)), null);
                    if (keys.isEmpty()) {
                        throw new IllegalArgumentException("no key with kid " + header.getKeyID());
                    }
                    if (!jwt.verify(new Ed25519Verifier((OctetKeyPair) keys.get(0)))) {
                        throw new IllegalArgumentException("bad signature");
                    }
                    claims.verify(jwt.getJWTClaimsSet(), null);
                    results.add(result(id, "ed25519-verifier", null));
                } catch (Exception e) {
                    results.add(result(id, "ed25519-verifier", e));
                }
            }
        }
        Map<String, Object> library = new LinkedHashMap<>();
        library.put("name", "nimbus-jose-jwt");
        library.put("version", version());
        library.put("results", results);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("libraries", List.of(library));
        System.out.println(JSONObjectUtils.toJSONString(out));
    }
}
