package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
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
        if (conf.get("spark.master").startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false"); // a laptop run needs no web UI
        }
        ClusterResources.prepare(conf, sb);
        ClusterResources.warnings(conf).forEach(w -> System.err.println("warning: " + w));
        // Log levels stay the user's (bin/selectivbench gives local runs a quiet configuration).
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * The config with {@code output-root} qualified by the job's file system ({@code hdfs:///x}
     * becomes {@code hdfs://namenode:8020/x}, {@code out} becomes {@code file:/cwd/out} locally), so
     * that executors and records name one place. Outside local mode a relative or {@code file:}
     * root is refused: each machine would write to its own disk.
     */
    static Config outputRoot(SparkSession spark, Config sb) {
        return outputRoot(sb, spark.sparkContext().master(), spark.sparkContext().hadoopConfiguration());
    }

    static Config outputRoot(Config sb, String master, Configuration hadoop) {
        String root = sb.getString("output-root");
        boolean local = master.startsWith("local");
        if (root.isBlank()) {
            throw new IllegalArgumentException("output-root is empty: give the folder results go to");
        }
        Path path = new Path(root);
        String shared = "give a path every executor shares, e.g. output-root=hdfs:///selectivbench or"
                + " s3a://BUCKET/selectivbench (docs/cluster.md)";
        if (!local && path.toUri().getScheme() == null && !path.isAbsolute()) {
            throw new IllegalArgumentException("output-root = \"" + root + "\" is a relative path, but spark.master = "
                    + master + ": each executor would resolve it in its own working directory; " + shared);
        }
        Path qualified;
        try {
            // The file system's own URI, so that hdfs:///x takes the namenode from fs.defaultFS.
            org.apache.hadoop.fs.FileSystem fs = path.getFileSystem(hadoop);
            qualified = path.makeQualified(fs.getUri(), fs.getWorkingDirectory());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("output-root = \"" + root + "\": " + e.getMessage(), e);
        }
        if (!local && "file".equals(qualified.toUri().getScheme())) {
            throw new IllegalArgumentException("output-root = \"" + root + "\" is " + qualified + " on the local disk"
                    + " of each machine, but spark.master = " + master + "; " + shared);
        }
        return sb.withValue("output-root", ConfigValueFactory.fromAnyRef(qualified.toString()));
    }
}
