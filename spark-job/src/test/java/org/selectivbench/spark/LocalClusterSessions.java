package org.selectivbench.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Spark sessions on a one-machine standalone cluster (local-cluster mode): a master and two workers
 * in this JVM, each with an executor JVM of its own, which a test can kill. Executor JVMs are
 * launched the standalone way, which needs SPARK_HOME with a jars/ folder (the surefire
 * configuration sets SPARK_HOME; this makes the folder).
 */
final class LocalClusterSessions {
    private LocalClusterSessions() {
    }

    static SparkSession start(Path tmp, String... conf) throws Exception {
        String sparkHome = System.getenv("SPARK_HOME");
        if (sparkHome == null) {
            throw new IllegalStateException("SPARK_HOME is not set; the surefire configuration sets it");
        }
        Files.createDirectories(Path.of(sparkHome, "jars"));
        LocalSpark.stop();
        SparkSession.Builder b = SparkSession.builder().master("local-cluster[2,1,1024]").appName("fault-test")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false");
        for (int i = 0; i < conf.length; i += 2) {
            b.config(conf[i], conf[i + 1]);
        }
        SparkSession s = b.getOrCreate();
        s.sparkContext().setLogLevel("ERROR");
        return s;
    }
}
