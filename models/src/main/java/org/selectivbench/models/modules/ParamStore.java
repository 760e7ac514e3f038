package org.selectivbench.models.modules;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The master copy of a model's parameters and gradients. Initial values are drawn in Java from a seeded
 * generator, in creation order, so a seed gives the same model on any backend. The SameDiff reference
 * builds one graph per padded length, every graph pointed at these arrays. The training engine
 * {@link #pack packs} them: every parameter and every gradient becomes a view of one flat array, so
 * clipping and Adam are a handful of array operations for the whole model instead of a dozen per
 * parameter.
 */
public final class ParamStore {
    private final Map<String, INDArray> arrays = new LinkedHashMap<>();
    private final Map<String, INDArray> grads = new LinkedHashMap<>();
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final SplittableRandom rng;
    private final DataType dtype;
    private INDArray flatValues;
    private INDArray flatGrads;

    public ParamStore(long seed, DataType dtype) {
        this.rng = new SplittableRandom(seed);
        this.dtype = dtype;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The array called {@code name}, created with {@code init} on first use. */
    public INDArray get(String name, long[] shape, Init init) {
        INDArray a = arrays.get(name);
        if (a == null) {
            if (flatValues != null) {
                throw new IllegalStateException("parameter " + name + " created after the store was packed");
            }
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            double[] v = new double[Math.toIntExact(n)];
            for (int i = 0; i < v.length; i++) {
                v[i] = init.value(rng, i);
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                a = Nd4j.create(v, shape, dtype);
            }
            arrays.put(name, a);
        } else if (!java.util.Arrays.equals(a.shape(), shape)) {
            throw new IllegalStateException("parameter " + name + " has shape " + java.util.Arrays.toString(a.shape())
                    + ", graph asks for " + java.util.Arrays.toString(shape));
        }
        return a;
    }

    /** A parameter and its gradient, for layers with explicit backward passes (both move when packed). */
    public static final class Param {
        private final String name;
        private INDArray value;
        private INDArray grad;

        private Param(String name, INDArray value, INDArray grad) {
            this.name = name;
            this.value = value;
            this.grad = grad;
        }

        public String name() {
            return name;
        }

        public INDArray value() {
            return value;
        }

        public INDArray grad() {
            return grad;
        }
    }

    /** The parameter {@code name} (created with {@code init} on first use) and its gradient array. */
    public Param param(String name, Init init, long... shape) {
        INDArray v = get(name, shape, init);
        return params.computeIfAbsent(name, n -> new Param(n, v, grad(n)));
    }

    /**
     * Moves every parameter and gradient into one flat array each (views of it from now on); values are
     * kept. Call once all parameters exist.
     */
    public void pack() {
        long n = count();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            flatValues = Nd4j.create(dtype, n);
            flatGrads = Nd4j.zeros(dtype, n);
        }
        long at = 0;
        for (String name : List.copyOf(arrays.keySet())) {
            INDArray old = arrays.get(name);
            long len = old.length();
            INDArray v = flatValues.get(NDArrayIndex.interval(at, at + len)).reshape(old.shape());
            INDArray g = flatGrads.get(NDArrayIndex.interval(at, at + len)).reshape(old.shape());
            v.assign(old);
            arrays.put(name, v);
            grads.put(name, g);
            Param p = params.get(name);
            if (p != null) {
                p.value = v;
                p.grad = g;
            }
            at += len;
        }
    }

    /** Every parameter in one array (creation order), or null when not packed. */
    public INDArray flatValues() {
        return flatValues;
    }

    /** Every gradient in one array (creation order), or null when not packed. */
    public INDArray flatGrads() {
        return flatGrads;
    }

    /**
     * The gradient array of {@code name}, zeros of the parameter's shape, created on first use outside
     * any workspace: backward passes add into it, {@link #zeroGrads} clears it before each update.
     */
    public INDArray grad(String name) {
        INDArray g = grads.get(name);
        if (g == null) {
            INDArray v = arrays.get(name);
            if (v == null) {
                throw new IllegalArgumentException("no parameter " + name);
            }
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                g = Nd4j.zeros(v.dataType(), v.shape());
            }
            grads.put(name, g);
        }
        return g;
    }

    /** Gradients by parameter name, in creation order (only of parameters asked for with {@link #param}). */
    public Map<String, INDArray> grads() {
        return Collections.unmodifiableMap(grads);
    }

    public void zeroGrads() {
        if (flatGrads != null) {
            flatGrads.assign(0);
            return;
        }
        for (INDArray g : grads.values()) {
            g.assign(0);
        }
    }

    public Map<String, INDArray> arrays() {
        return Collections.unmodifiableMap(arrays);
    }

    /** Replaces values in place (checkpoint load), keeping the arrays every graph points at. */
    public void assign(String name, INDArray values) {
        INDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("checkpoint holds unknown parameter " + name);
        }
        if (!java.util.Arrays.equals(a.shape(), values.shape())) {
            throw new IllegalArgumentException("checkpoint parameter " + name + " has shape "
                    + java.util.Arrays.toString(values.shape()) + ", model expects " + java.util.Arrays.toString(a.shape()));
        }
        a.assign(values);
    }

    public long count() {
        long n = 0;
        for (INDArray a : arrays.values()) {
            n += a.length();
        }
        return n;
    }

    /** How to fill a new parameter. */
    @FunctionalInterface
    public interface Init {
        double value(SplittableRandom rng, int index);

        static Init uniform(double bound) {
            return (r, i) -> (2 * r.nextDouble() - 1) * bound;
        }

        static Init constant(double c) {
            return (r, i) -> c;
        }

        static Init of(DoubleSupplier s) {
            return (r, i) -> s.getAsDouble();
        }

        /**
         * Inverse-softplus init of dt biases (SPEC 6): dt = exp(U(ln 0.001, ln 0.1)) clamped >= 1e-4,
         * bias = dt + ln(1 - exp(-dt)), so that softplus(bias) = dt.
         */
        static Init inverseSoftplusDt() {
            return (r, i) -> {
                double dt = Math.max(1e-4, Math.exp(Math.log(0.001) + r.nextDouble() * (Math.log(0.1) - Math.log(0.001))));
                return dt + Math.log(-Math.expm1(-dt));
            };
        }

        /** N(0, std^2): the complex C (parts N(0, 1/2)) and D of S4D. */
        static Init normal(double std) {
            return (r, i) -> std * gaussian(r);
        }

        /** Box-Muller (SplittableRandom has no nextGaussian). */
        private static double gaussian(SplittableRandom r) {
            return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        }

        /** ln U(lo, hi): the A_log init of Mamba2 and Gated DeltaNet. */
        static Init logUniform(double lo, double hi) {
            return (r, i) -> Math.log(lo + r.nextDouble() * (hi - lo));
        }
    }
}
