package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import com.typesafe.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The output root on a real HDFS (a namenode and a datanode in this JVM): generation, a sweep and
 * its resume, a killed and resumed sweep, and the report. HDFS differs from the local file system
 * where commits happen: a rename onto an existing file fails there instead of replacing it.
 */
class HdfsTest {
    @TempDir
    static Path tmp;
    static MiniDFSCluster hdfs;

    @BeforeAll
    static void startHdfs() throws Exception {
        hdfs = startHdfs(tmp.resolve("hdfs"));
    }

    static MiniDFSCluster startHdfs(Path dir) throws Exception {
        Configuration conf = new Configuration();
        conf.set("dfs.replication", "1");
        return new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).build();
    }

    @AfterAll
    static void stopHdfs() {
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    private static String root(String name) {
        return hdfs.getURI() + "/" + name;
    }

    @Test
    void generateSweepResumeAndReport() throws Exception {
        String root = root("sweeps");
        Configuration hadoop = LocalSpark.get().sparkContext().hadoopConfiguration();
        Config sb = Settings.load(null, SweepJobTest.tiny(root, "grid.tasks=[task1, task4]", "grid.seeds=[1]",
                "grid.learning-rates=[1e-3]"));
        SweepPlan plan = new SweepPlan(sb);
        SweepJob first = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(tmp.resolve("1.log"), Set.of("gla"), 0));
        SweepJob.Summary s1 = first.run(plan);
        // gla's task-1 and task-2 runs, and the four task-4 evaluations of its task-2 run.
        assertEquals(2 + 4, s1.failed());

        // The resume rewrites the sweep's manifest and replaces the failed runs' rows.
        SweepJob.Summary s2 = new SweepJob(LocalSpark.get(), sb, new FakeExecutor(tmp.resolve("2.log"), Set.of(), 0))
                .run(plan);
        assertEquals(plan.size() - 6, s2.skipped());
        assertEquals(6, s2.succeeded());
        assertEquals(6, FakeExecutor.executions(tmp.resolve("2.log")).size(), "only the failed runs ran again");
        Dataset<Row> runs = new Aggregator(LocalSpark.get()).runs(first.store());
        assertEquals(plan.size(), runs.count(), "one row per run");
        assertEquals(0, runs.where("status != 'ok'").count());
        assertEquals(0, new GenerateJob(LocalSpark.get(), sb).run(plan.datasets()).splitsWritten(),
                "complete splits are found on HDFS and kept");

        SweepCommand.summarize(LocalSpark.get(), sb, first, s2);
        FileSystem fs = first.store().dir().getFileSystem(hadoop);
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path(first.store().dir(), "summary.csv")));

        // The report command as a user runs it, against the root on HDFS.
        Ran r = run("report", "--set", "output-root=\"" + root + "\"", "--set", "sweep.id=test");
        assertEquals(0, r.exit(), r.err());
        org.apache.hadoop.fs.Path index = new org.apache.hadoop.fs.Path(first.store().dir(), "report/index.html");
        try (InputStream in = fs.open(index)) {
            String html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(html.contains("SelectivBench sweep") && html.contains("<img"), html);
        }
        assertTrue(r.out().contains("report written to " + index), r.out());
    }

    @Test
    void killedSweepResumes() throws Exception {
        KilledSweepTest.killMidwayAndRerun(root("killed"), tmp, LocalSpark.get().sparkContext().hadoopConfiguration());
    }

    @Test
    void generateCommandWritesToTheDefaultFileSystem() throws Exception {
        // hdfs:///path takes its namenode from fs.defaultFS (spark.hadoop.fs.defaultFS on a cluster).
        Configuration withDefault = new Configuration();
        withDefault.set("fs.defaultFS", hdfs.getURI().toString());
        Config sb = Spark.outputRoot(Settings.load(null, List.of("output-root=\"hdfs:///selectivbench\"")),
                "spark://somewhere:7077", withDefault);
        assertEquals(hdfs.getURI() + "/selectivbench", sb.getString("output-root"));

        Ran r = run("generate", "--set", "output-root=\"" + root("generated") + "\"", "--set",
                "grammar={vocab=6, ambiguities=5, depth=2}", "--set",
                "data={elements=12, train-examples=8, test-examples=4, examples-per-file=100}", "--set",
                "grid.tasks=[task1]");
        assertEquals(0, r.exit(), r.err());
        FileSystem fs = hdfs.getFileSystem();
        assertEquals(1, fs.globStatus(new org.apache.hadoop.fs.Path("/generated/datasets/*/split=train/_MANIFEST.json"))
                .length, r.out());
    }

    record Ran(int exit, String out, String err) {
    }

    /** A command as the user runs it, minus the JVM launch; it shares (and stops) the test session. */
    static Ran run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cli = new CommandLine(new SelectivBench());
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler(SelectivBench.BAD_INPUT);
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            return new Ran(cli.execute(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
        }
    }
}
