package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Reading ND4J arrays into the kernels' Java arrays: whole arrays, column blocks of a wider matrix (read
 * row by row from native memory) and other views (through a copy) give ND4J's own values in row-major
 * order, in double and float.
 */
class HostTest {
    @Test
    void readsArraysAndViewsInRowMajorOrder() {
        for (DataType dt : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            INDArray m = Nd4j.rand(dt, 7, 11).subi(0.5);
            INDArray[] cases = {m, m.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 9)),
                m.get(NDArrayIndex.interval(2, 5), NDArrayIndex.interval(0, 4)),
                m.get(NDArrayIndex.all(), NDArrayIndex.interval(10, 11)), m.transpose(),
                m.get(NDArrayIndex.interval(4, 5), NDArrayIndex.interval(1, 8))};
            for (int i = 0; i < cases.length; i++) {
                INDArray a = cases[i];
                double[] want = a.dup('c').castTo(DataType.DOUBLE).data().asDouble();
                assertArrayEquals(want, Host.read(a), dt + " case " + i);
                if (dt == DataType.FLOAT) {
                    assertArrayEquals(a.dup('c').data().asFloat(), Host.readFloats(a), "floats, case " + i);
                }
            }
        }
    }
}
