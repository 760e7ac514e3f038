package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.selectivbench.models.modules.Pass;

/** The recurrent states a layer hands from one segment of a long evaluation to the next. */
final class States {
    private States() {
    }

    /** An array [B, shape...] to receive a state at the segment's end, or null outside segments. */
    static INDArray end(Pass p, DataType dt, long... shape) {
        if (!p.segmented()) {
            return null;
        }
        long[] full = new long[shape.length + 1];
        full[0] = p.batch();
        System.arraycopy(shape, 0, full, 1, shape.length);
        return Nd4j.zeros(dt, full);
    }

    static void carry(Pass p, String name, INDArray end) {
        if (end != null) {
            p.carry(name, end);
        }
    }
}
