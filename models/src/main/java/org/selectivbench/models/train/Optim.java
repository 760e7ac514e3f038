package org.selectivbench.models.train;

import org.selectivbench.models.*;
import org.selectivbench.models.config.*;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.buffer.DataType;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The SPEC 7 optimiser, written out so that schedule and clipping are explicit and testable: Adam
 * (beta 0.9 / 0.999, eps 1e-8, decoupled weight decay), learning rate with linear warmup then
 * cosine to 0 over the run, and global-norm gradient clipping. Updates are in place on the
 * {@link ParamStore} arrays every graph shares.
 */
public final class Optim {
    static final double B1 = 0.9, B2 = 0.999, EPS = 1e-8;

    private final TrainConfig cfg;
    private final Map<String, INDArray> m = new HashMap<>();
    private final Map<String, INDArray> v = new HashMap<>();
    private long t;

    public Optim(TrainConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * Learning rate of update {@code step} (0-based) of {@code total}: peak * (step+1)/warmup during
     * warmup, then peak * (1 + cos(pi * (step - warmup) / (total - warmup))) / 2, reaching 0 at the end.
     */
    public static double lr(double peak, int warmup, long step, long total) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        long decay = Math.max(1, total - warmup);
        double progress = Math.min(1.0, (double) (step - warmup) / decay);
        return peak * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    /** Global L2 norm of all gradients. */
    public static double globalNorm(Map<String, INDArray> grads) {
        double sq = 0;
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, "selectivbench-norm")) {
            for (INDArray g : grads.values()) {
                double n = g.norm2Number().doubleValue();
                sq += n * n;
            }
        }
        return Math.sqrt(sq);
    }

    /** Clips the gradients of {@code params} (as one array when the store is packed); returns the norm before. */
    public static double clip(ParamStore params, double clip) {
        return clip(params.flatGrads() != null ? Map.of(ALL, params.flatGrads()) : params.grads(), clip);
    }

    /** One Adam step on {@code params} with their gradients (as one array when the store is packed). */
    public void step(ParamStore params, double lr) {
        if (params.flatGrads() != null) {
            step(Map.of(ALL, params.flatValues()), Map.of(ALL, params.flatGrads()), lr);
        } else {
            step(params.arrays(), params.grads(), lr);
        }
    }

    /** The name of a packed store's one array of values and gradients. */
    private static final String ALL = "(all parameters)";

    /** Scales all gradients in place so their global norm is at most {@code clip}; returns the norm before. */
    public static double clip(Map<String, INDArray> grads, double clip) {
        double norm = globalNorm(grads);
        if (clip > 0 && norm > clip) {
            double s = clip / norm;
            for (INDArray g : grads.values()) {
                g.muli(s);
            }
        }
        return norm;
    }

    /**
     * One Adam step with learning rate {@code lr} on every parameter that has a gradient. Its temporaries
     * come from a workspace reused by every step; the moments live outside it.
     */
    public void step(Map<String, INDArray> params, Map<String, INDArray> grads, double lr) {
        t++;
        double c1 = 1 - Math.pow(B1, t);
        double c2 = 1 - Math.pow(B2, t);
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WORKSPACE, workspaceId)) {
            for (Map.Entry<String, INDArray> e : params.entrySet()) {
                INDArray g = grads.get(e.getKey());
                if (g == null) {
                    continue;
                }
                INDArray p = e.getValue();
                INDArray mi = m.computeIfAbsent(e.getKey(), k -> zerosLike(p));
                INDArray vi = v.computeIfAbsent(e.getKey(), k -> zerosLike(p));
                if (Kernels.current() == Kernels.JAVA && p.dataType() == DataType.FLOAT) {
                    stepFloats(p, g, mi, vi, lr, c1, c2);
                    continue;
                }
                mi.muli(B1).addi(g.mul(1 - B1));
                vi.muli(B2).addi(g.mul(g).muli(1 - B2));
                if (cfg.weightDecay() > 0) {
                    p.subi(p.mul(lr * cfg.weightDecay()));
                }
                INDArray denom = Transforms.sqrt(vi.div(c2), false).addi(EPS);
                p.subi(mi.div(c1).divi(denom).muli(lr));
            }
        }
    }

    /**
     * The update above in one Java pass over float32 arrays (its dozen array operations cost 20 times
     * their arithmetic on a small model's 24K parameters): the same operations in the same order, each
     * rounded to float as ND4J's are, so the same bits (OptimTest).
     */
    private void stepFloats(INDArray p, INDArray g, INDArray mi, INDArray vi, double lr, double c1, double c2) {
        float[] pv = Host.readFloats(p), gv = Host.readFloats(g), mv = Host.readFloats(mi), vv = Host.readFloats(vi);
        float b1 = (float) B1, a1 = (float) (1 - B1), b2 = (float) B2, a2 = (float) (1 - B2);
        float decay = (float) (lr * cfg.weightDecay()), fc1 = (float) c1, fc2 = (float) c2, eps = (float) EPS;
        float flr = (float) lr;
        boolean decays = cfg.weightDecay() > 0;
        for (int i = 0; i < pv.length; i++) {
            float gi = gv[i];
            mv[i] = mv[i] * b1 + gi * a1;
            vv[i] = vv[i] * b2 + gi * gi * a2;
            if (decays) {
                pv[i] = pv[i] - pv[i] * decay;
            }
            float denom = (float) Math.sqrt(vv[i] / fc2) + eps;
            pv[i] = pv[i] - mv[i] / fc1 / denom * flr;
        }
        Host.write(pv, p);
        Host.write(mv, mi);
        Host.write(vv, vi);
    }

    private static final WorkspaceConfiguration WORKSPACE = WorkspaceConfiguration.builder().initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP).policySpill(SpillPolicy.REALLOCATE).build();
    private final String workspaceId = "selectivbench-optim-" + System.identityHashCode(this);

    private static INDArray zerosLike(INDArray p) {
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return Nd4j.zeros(p.dataType(), p.shape());
        }
    }
}
