package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;

/** Chooses the mixer for a model name. */
public final class Mixers {
    private Mixers() {
    }

    public static Mixer of(ModelConfig c) {
        return switch (c.name()) {
            case "transformer" -> new TransformerMixer(c);
            case "linear_attention" -> new LinearAttentionMixer(c);
            case "mamba2" -> new Mamba2Mixer(c);
            case "s4d" -> new S4dMixer(c);
            case "lstm" -> new LstmMixer(c);
            case "delta_net" -> new DeltaNetMixer(c);
            case "gated_delta_net" -> new GatedDeltaNetMixer(c);
            case "gated_delta_product" -> new GatedDeltaProductMixer(c);
            case "gla" -> new GlaMixer(c);
            case "mamba" -> new MambaMixer(c);
            case "gru" -> new GruMixer(c);
            default -> throw new UnsupportedOperationException("model " + c.name() + " is not implemented yet");
        };
    }

    /** Whether a model's graph uses chunked scans (its sequences are padded to a multiple of the chunk). */
    static boolean chunked(String name) {
        return !name.equals("transformer") && !name.equals("lstm") && !name.equals("gru");
    }
}
