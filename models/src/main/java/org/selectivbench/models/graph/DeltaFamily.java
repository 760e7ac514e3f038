package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The layer shared by DeltaNet, Gated DeltaNet and Gated DeltaProduct (SPEC 6), parametrized as the
 * project's PyTorch peer (torch_ref.py, DeltaFamily): head dim K = d / H, value dim V = expand * K;
 * q = L2(SiLU(conv(W_q x))) K^-1/2, k_j = L2(SiLU(conv(W_k x))), v_j = SiLU(conv(W_v x)) (short convs without
 * bias; the n_h key/value/beta sets laid out (n_h, H, .) in the projection), beta = sigmoid(W_b x), times 2
 * (beta in (0, 2)) when negative eigenvalues are allowed; gated: log alpha = -exp(A_log) softplus(W_a x +
 * dt_bias), A = exp(A_log) init U(1e-4, 16), inverse-softplus dt_bias init. Output per head RMSNorm (weight
 * of size V shared by the heads), times SiLU(W_g x) when gated, then W_o. The scan is {@link DeltaRuleScan}.
 * model.forget-floor (gated models, when > 0) keeps alpha >= floor as alpha' = floor + (1 - floor) alpha.
 */
final class DeltaFamily {
    private DeltaFamily() {
    }

    static SDVariable apply(ModelConfig c, GraphBuilder g, String p, SDVariable x, boolean gated, int nh,
                            boolean negativeEigenvalues) {
        SameDiff sd = g.sd();
        int d = c.width(), h = c.heads(), kd = c.headDim(), vd = c.expand() * kd, t = g.steps();
        SDVariable q = Blocks.shortConv(g, p + ".q_conv", g.linear(p + ".q", x, d, h * kd, false), h * kd,
                c.convSize(), false);
        q = Blocks.toHeads(Blocks.l2Norm(sd, q.reshape(-1, kd), 1).mul(Math.pow(kd, -0.5)), t, h, kd);
        SDVariable k = Blocks.shortConv(g, p + ".k_conv", g.linear(p + ".k", x, d, nh * h * kd, false),
                nh * h * kd, c.convSize(), false);
        k = Blocks.l2Norm(sd, k.reshape(-1, kd), 1).reshape(-1, t, nh, h, kd).permute(0, 3, 1, 2, 4)
                .reshape(-1, t, nh, kd);
        SDVariable v = Blocks.shortConv(g, p + ".v_conv", g.linear(p + ".v", x, d, nh * h * vd, false),
                nh * h * vd, c.convSize(), false);
        v = v.reshape(-1, t, nh, h, vd).permute(0, 3, 1, 2, 4).reshape(-1, t, nh, vd);
        SDVariable beta = sd.nn().sigmoid(g.linear(p + ".b", x, d, nh * h, false));
        if (negativeEigenvalues) {
            beta = beta.mul(2.0);
        }
        beta = beta.reshape(-1, t, nh, h).permute(0, 3, 1, 2).reshape(-1, t, nh);
        SDVariable a = null;
        if (gated) {
            SDVariable aLog = g.param(p + ".A_log", ParamStore.Init.logUniform(1e-4, 16), h);
            SDVariable dt = sd.nn().softplus(g.linear(p + ".a", x, d, h, false)
                    .add(g.param(p + ".dt_bias", ParamStore.Init.inverseSoftplusDt(), h)));
            a = dt.mul(sd.math().exp(aLog)).neg(); // [B*T, H], <= 0
            if (c.forgetFloor() > 0) {
                a = sd.math().log(sd.math().exp(a).mul(1 - c.forgetFloor()).add(c.forgetFloor()));
            }
            a = a.reshape(-1, t, h).permute(0, 2, 1).reshape(-1, t);
        }
        SDVariable start = g.carriedIn(p + ".state", h, kd, vd); // [B, H, K, V] in a segment graph, else null
        Scans.Result scan = DeltaRuleScan.product(g, p + ".scan", q, k, v, beta, a, t, nh, kd, vd, c.chunkSize(),
                start == null ? null : start.reshape(-1, kd, vd));
        if (start != null) {
            g.carryOut(p + ".state", scan.end().reshape(-1, h, kd, vd));
        }
        SDVariable o = scan.out();
        o = Blocks.rmsNorm(g, p + ".norm", Blocks.fromHeads(o, t, h, vd).reshape(-1, vd), vd); // [B*T*H, V]
        if (gated) {
            o = o.mul(Blocks.silu(sd, g.linear(p + ".g", x, d, h * vd, false).reshape(-1, vd)));
        }
        return g.linear(p + ".o", o.reshape(-1, h * vd), h * vd, d, false);
    }
}
