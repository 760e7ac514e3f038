package org.selectivbench.spark;

import org.apache.spark.sql.SparkSession;

/** One local[2] Spark session shared by the tests of this module (starting one costs seconds). */
final class LocalSpark {
    private static SparkSession session;

    private LocalSpark() {
    }

    static synchronized SparkSession get() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().master("local[2]").appName("selectivbench-test")
                    .config("spark.ui.enabled", "false")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .getOrCreate();
            session.sparkContext().setLogLevel("ERROR");
        }
        return session;
    }

    /** Stops the shared session, for a test that needs a differently configured one. */
    static synchronized void stop() {
        if (session != null) {
            session.stop();
            session = null;
        }
    }
}
