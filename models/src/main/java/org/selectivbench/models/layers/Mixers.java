package org.selectivbench.models.layers;

import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.ops.GatedRnnRecurrent.Cell;

/** Builds the layer of a model by name, its parameters named under {@code prefix}. */
public final class Mixers {
    private Mixers() {
    }

    public static Mixer of(ModelConfig c, ParamStore ps, String prefix) {
        return switch (c.name()) {
            case "transformer" -> new TransformerLayer(c, ps, prefix);
            case "linear_attention" -> new LinearAttentionLayer(c, ps, prefix);
            case "mamba2" -> new Mamba2Layer(c, ps, prefix);
            case "mamba" -> new MambaLayer(c, ps, prefix);
            case "gla" -> new GlaLayer(c, ps, prefix);
            case "delta_net" -> new DeltaFamilyLayer(c, ps, prefix, false, 1, c.allowNegativeEigenvalues());
            case "gated_delta_net" -> new DeltaFamilyLayer(c, ps, prefix, true, 1, c.allowNegativeEigenvalues());
            // beta in (0, 2) always: the SPEC 6 table fixes it for this model
            case "gated_delta_product" -> new DeltaFamilyLayer(c, ps, prefix, true, c.householderSteps(), true);
            case "s4d" -> new S4dLayer(c, ps, prefix);
            case "lstm" -> new RnnLayer(c, ps, prefix, Cell.LSTM);
            case "gru" -> new RnnLayer(c, ps, prefix, Cell.GRU);
            default -> throw new IllegalArgumentException("model.name = " + c.name() + ": no such model");
        };
    }

    /** The scalars {@link #of} creates for one layer, counted without ND4J. */
    public static long parameters(ModelConfig c) {
        return switch (c.name()) {
            case "transformer" -> TransformerLayer.parameters(c);
            case "linear_attention" -> LinearAttentionLayer.parameters(c);
            case "mamba2" -> Mamba2Layer.parameters(c);
            case "mamba" -> MambaLayer.parameters(c);
            case "gla" -> GlaLayer.parameters(c);
            case "delta_net" -> DeltaFamilyLayer.parameters(c, false, 1);
            case "gated_delta_net" -> DeltaFamilyLayer.parameters(c, true, 1);
            case "gated_delta_product" -> DeltaFamilyLayer.parameters(c, true, c.householderSteps());
            case "s4d" -> S4dLayer.parameters(c);
            case "lstm" -> RnnLayer.parameters(c, Cell.LSTM);
            case "gru" -> RnnLayer.parameters(c, Cell.GRU);
            default -> throw new IllegalArgumentException("model.name = " + c.name() + ": no such model");
        };
    }

    /** Whether the model's layers hand their state across segments of a long evaluation: all but the Transformer. */
    public static boolean carriesState(ModelConfig c) {
        return !c.name().equals("transformer");
    }
}
