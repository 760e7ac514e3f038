package org.selectivbench.data;

import java.util.Arrays;

/**
 * One example as stored: its elements and gaps, not the floats a model sees (those are rebuilt by
 * {@link BatchEncoder}, noise included, from {@code noiseSeed}).
 *
 * @param index       the example's index within its split
 * @param symbols     visible symbol id of each element
 * @param classes     hidden-state class of each element (the target)
 * @param gaps        gap steps after each element
 * @param distractors the symbols filling ungrammatical gaps, element after element (empty for zero gaps)
 * @param noiseSeed   seed of the noise added at encoding time
 */
public record TaskExample(long index, int[] symbols, int[] classes, int[] gaps, int[] distractors, long noiseSeed) {

    public int elements() {
        return symbols.length;
    }

    /** Steps of the encoded sequence: one symbol step per element plus its gap steps. */
    public int steps() {
        int n = symbols.length;
        for (int g : gaps) {
            n += g;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskExample e && index == e.index && noiseSeed == e.noiseSeed
                && Arrays.equals(symbols, e.symbols) && Arrays.equals(classes, e.classes)
                && Arrays.equals(gaps, e.gaps) && Arrays.equals(distractors, e.distractors);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Arrays.hashCode(symbols) + 17 * Arrays.hashCode(gaps);
    }

    @Override
    public String toString() {
        return "TaskExample[index=" + index + ", elements=" + symbols.length + ", steps=" + steps() + "]";
    }
}
