package org.selectivbench.models.config;

import com.typesafe.config.Config;
import java.util.List;
import java.util.Map;
import org.selectivbench.data.TaskSpec;
import org.selectivbench.settings.Binding;
import org.selectivbench.settings.Block;
import org.selectivbench.settings.Check;
import org.selectivbench.settings.Kind;
import org.selectivbench.settings.Setting;

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

    /** The {@code model} block: every knob of a model, declared once. */
    public static final Block SETTINGS = new Block("model", "The model (SPEC section 6)", List.of(
            Setting.of("name", Kind.STRING, "transformer", Check.oneOf(MODELS), "which mixer"),
            Setting.of("layers", Kind.INT, 8, Check.between(1, 1024), "mixer layers L"),
            Setting.of("width", Kind.INT, 256, Check.between(1, 65_536), "model width d"),
            Setting.of("heads", Kind.INT, 0, Check.between(0, 4096),
                    "heads H; 0: the SPEC 6 rule (4 when d/128 <= 4, else the smallest power of two >= 4 dividing d"
                            + " with d/H <= 128)"),
            Setting.of("d-state", Kind.INT, 128, TaskSpec.D_STATE.check(), "state size N of Mamba and Mamba2"),
            Setting.of("expand", Kind.INT, 2, Check.between(1, 64),
                    "inner width factor (Mamba, Mamba2) and value expansion (GLA, delta family)"),
            Setting.of("conv-size", Kind.INT, 4, Check.between(1, 1024), "kernel of the short causal depthwise conv"),
            Setting.of("householder-steps", Kind.INT, 4, Check.between(1, 64), "n_h of Gated DeltaProduct"),
            Setting.of("allow-negative-eigenvalues", Kind.BOOLEAN, false, Check.any(),
                    "beta in (0, 2) instead of (0, 1) for the delta family"),
            Setting.of("forget-floor", Kind.DOUBLE, 0.0, Check.interval(0, true, 1, false),
                    "lower bound on the forget gate of the gated models (0 = off)"),
            Setting.of("mlp-expansion", Kind.INT, 0, Check.oneOf(List.of(0, 1, 2, 4)),
                    "0: no MLP after each mixer; else its hidden width is this times d"),
            Setting.of("dropout", Kind.DOUBLE, 0.2, Check.interval(0, true, 1, false),
                    "dropout probability on the mixer branch"),
            Setting.of("chunk-size", Kind.INT, 64, Check.between(1, 65_536),
                    "chunk length of the chunked scans (sequences are padded to a multiple)")));

    static final Binding<ModelConfig> BINDING = Binding.of(ModelConfig.class, SETTINGS, Map.of(), List.of(),
            List.of());

    public ModelConfig {
        BINDING.validate("model", name, layers, width, heads, dState, expand, convSize, householderSteps,
                allowNegativeEigenvalues, forgetFloor, mlpExpansion, dropout, chunkSize);
        if (heads == 0) {
            heads = defaultHeads(width);
        }
        check(width % heads == 0, "heads", heads, "must divide width " + width);
    }

    /** Reads {@code selectivbench.model} (pass that block); unknown keys fail naming the key. */
    public static ModelConfig fromConfig(Config c) {
        return BINDING.read(c, "model");
    }

    /** The settings as one line of HOCON, which {@link #fromConfig} reads back (checkpoints hold it). */
    public String render() {
        return BINDING.render(this);
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

    private static void check(boolean ok, String key, Object value, String why) {
        if (!ok) {
            throw new IllegalArgumentException("model." + key + " = " + value + ": " + why);
        }
    }
}
