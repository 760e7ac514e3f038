package org.selectivbench.data;

/**
 * Which part of a dataset an example belongs to. Train and test draw their examples from
 * different streams, so they never share an example; all test splits of one dataset share their
 * element sequences and gap placements and differ only in gap duration (task 4 compares them).
 */
public enum Split {
    TRAIN(1), TEST(2);

    final long code;

    Split(long code) {
        this.code = code;
    }
}
