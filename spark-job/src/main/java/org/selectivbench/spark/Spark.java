package org.selectivbench.spark;

import com.typesafe.config.Config;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Creates the Spark session: the embedded local[*] default, or whatever spark-submit configured. */
final class Spark {
    private Spark() {
    }

    static SparkSession session(Config sb) {
        SparkConf conf = new SparkConf();
        if (!conf.contains("spark.master")) {
            conf.setMaster(sb.getString("spark.master"));
        }
        if (!conf.contains("spark.app.name")) {
            conf.setAppName(sb.getString("spark.app-name"));
        }
        // Our own progress lines replace Spark's console bar; only some result partitions are rewritten.
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        conf.setIfMissing("spark.sql.sources.partitionOverwriteMode", "dynamic");
        conf.setIfMissing("spark.task.cpus", String.valueOf(sb.getInt("sweep.cores-per-run")));
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false"); // a laptop run needs no web UI
        }
        SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        return spark;
    }
}
