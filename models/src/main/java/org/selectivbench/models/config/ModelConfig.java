package org.selectivbench.models.config;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Set;
import org.selectivbench.data.ConfigCheck;

/**
 * The architecture of one model (SPEC section 6), read from the HOCON block {@code selectivbench.model}.
 *
 * @param name          which mixer; see {@link #MODELS}
 * @param layers        mixer layers L
 * @param width         model width d
 * @param heads         heads H (0 in config means "use the SPEC 6 rule", resolved here)
 * @param dState        state size N of Mamba / Mamba2
 * @param expand        inner-width factor (Mamba, Mamba2) / value expansion (GLA, delta family)
 * @param convSize      kernel of the short causal depthwise conv
 * @param householderSteps n_h of Gated DeltaProduct
 * @param allowNegativeEigenvalues beta in (0, 2) instead of (0, 1) for the delta family
 * @param forgetFloor   lower bound on the forget gate of the gated models (0 = off)
 * @param mlpExpansion  0 = no MLP after the mixer; else its hidden width is this times d
 * @param dropout       dropout probability on the mixer branch
 * @param chunkSize     chunk length of the chunked scans
 */
public record ModelConfig(String name, int layers, int width, int heads, int dState, int expand, int convSize,
                          int householderSteps, boolean allowNegativeEigenvalues, double forgetFloor,
                          int mlpExpansion, double dropout, int chunkSize) implements java.io.Serializable {

    /** Every model name the benchmark knows; {@link Mixers} says which are built. */
    public static final List<String> MODELS = List.of("mamba", "mamba2", "gla", "delta_net", "gated_delta_net",
            "gated_delta_product", "transformer", "linear_attention", "s4d", "lstm", "gru");

    static final Set<String> KEYS = Set.of("name", "layers", "width", "heads", "d-state", "expand", "conv-size",
            "householder-steps", "allow-negative-eigenvalues", "forget-floor", "mlp-expansion", "dropout",
            "chunk-size");

    public ModelConfig {
        if (!MODELS.contains(name)) {
            throw new IllegalArgumentException("model.name = " + name + ": unknown model (known: " + MODELS + ")");
        }
        check(layers >= 1, "layers", layers, "must be >= 1");
        check(width >= 1, "width", width, "must be >= 1");
        if (heads == 0) {
            heads = defaultHeads(width);
        }
        check(heads >= 1 && width % heads == 0, "heads", heads, "must divide width " + width);
        check(dState >= 1, "d-state", dState, "must be >= 1");
        check(expand >= 1, "expand", expand, "must be >= 1");
        check(convSize >= 1, "conv-size", convSize, "must be >= 1");
        check(householderSteps >= 1, "householder-steps", householderSteps, "must be >= 1");
        check(forgetFloor >= 0 && forgetFloor < 1, "forget-floor", forgetFloor, "must be in [0, 1)");
        check(mlpExpansion == 0 || mlpExpansion == 1 || mlpExpansion == 2 || mlpExpansion == 4, "mlp-expansion",
                mlpExpansion, "must be 0 (off), 1, 2 or 4");
        check(dropout >= 0 && dropout < 1, "dropout", dropout, "must be in [0, 1)");
        check(chunkSize >= 1, "chunk-size", chunkSize, "must be >= 1");
    }

    /** Reads {@code selectivbench.model} (pass that block); unknown keys fail naming the key. */
    public static ModelConfig fromConfig(Config c) {
        ConfigCheck.onlyKeys(c, KEYS, "model");
        return new ModelConfig(c.getString("name"), c.getInt("layers"), c.getInt("width"), c.getInt("heads"),
                c.getInt("d-state"), c.getInt("expand"), c.getInt("conv-size"), c.getInt("householder-steps"),
                c.getBoolean("allow-negative-eigenvalues"), c.getDouble("forget-floor"), c.getInt("mlp-expansion"),
                c.getDouble("dropout"), c.getInt("chunk-size"));
    }

    /**
     * SPEC 6: H = 4 when d/128 <= 4, else the smallest power of two >= 4 dividing d with d/H <= 128
     * (same as the reference's heads_for).
     */
    public static int defaultHeads(int d) {
        if (d / 128.0 <= 4) {
            return 4;
        }
        for (int h = 4; h <= d; h *= 2) {
            if (d % h == 0 && d / h <= 128) {
                return h;
            }
        }
        throw new IllegalArgumentException("model.width = " + d + ": no power-of-two head count >= 4 divides it"
                + " with a head size <= 128; set model.heads");
    }

    public int headDim() {
        return width / heads;
    }

    public ModelConfig withName(String n) {
        return new ModelConfig(n, layers, width, heads, dState, expand, convSize, householderSteps,
                allowNegativeEigenvalues, forgetFloor, mlpExpansion, dropout, chunkSize);
    }

    private static void check(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException("model." + key + " = " + value + ": " + why);
        }
    }
}
