package org.selectivbench.spark;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep on a real cluster, as docs/cluster.md tells users to run it: a Spark standalone master
 * and two workers, each a JVM started from a Spark installation the way Spark's scripts start them
 * (Spark's launcher builds the command), each worker announcing one GPU through bin/gpu-discovery.sh
 * over a stand-in nvidia-smi; a real HDFS for the output root; and the cluster jar Maven built,
 * submitted with the spark-submit command read from docs/cluster.md.
 *
 * <p>The Spark installation (spark-dist/target/spark-home) holds Spark's jars only, so our code
 * and DL4J reach the executors through the cluster jar alone. Surefire passes its path and the
 * jar's; run this test through Maven.
 */
class StandaloneClusterTest {
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();
    private static final long SUBMIT_MINUTES = 8;

    @TempDir
    static Path tmp;
    static MiniDFSCluster hdfs;
    static Path sparkHome;
    static final List<Process> daemons = new ArrayList<>();
    static String masterUrl;
    static final Map<String, Path> workerDirs = new HashMap<>(); // GPU address -> the worker's work dir

    @BeforeAll
    static void startCluster() throws Exception {
        sparkHome = Path.of(System.getProperty("cluster-test.spark-home", "missing"));
        assertTrue(Files.isDirectory(sparkHome.resolve("jars")), "no Spark installation at " + sparkHome
                + ": run this test through Maven (mvn -B test), which lays it out");
        assertTrue(Files.isRegularFile(Path.of(System.getProperty("cluster-test.jar", "missing"))),
                "no cluster jar: run this test through Maven (mvn -B test), which builds it first");
        hdfs = HdfsTest.startHdfs(tmp.resolve("hdfs"));

        int port = freePort();
        int ui = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        daemons.add(start(sparkClass(Map.of(), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--webui-port", String.valueOf(ui)), Map.of(), tmp.resolve("master.log")));
        for (String gpu : List.of("0", "1")) {
            // A stand-in nvidia-smi naming this worker's one GPU; the discovery script is the project's.
            Path bin = Files.createDirectories(tmp.resolve("gpu" + gpu + "-bin"));
            Path smi = bin.resolve("nvidia-smi");
            Files.writeString(smi, "#!/usr/bin/env bash\necho " + gpu + "\n");
            Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path work = Files.createDirectories(tmp.resolve("worker-gpu" + gpu));
            workerDirs.put(gpu, work);
            // As conf/spark-env.sh on a worker host would set it (docs/cluster.md).
            Map<String, String> env = Map.of("SPARK_WORKER_OPTS", "-Dspark.worker.resource.gpu.amount=1"
                            + " -Dspark.worker.resource.gpu.discoveryScript=" + PROJECT.resolve("bin/gpu-discovery.sh"),
                    "PATH", bin + ":" + System.getenv("PATH"));
            daemons.add(start(sparkClass(env, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--webui-port", String.valueOf(freePort()), "--cores", "4", "--memory", "20g", "--work-dir",
                    work.toString(), masterUrl), env, tmp.resolve("worker-gpu" + gpu + ".log")));
        }
        awaitWorkers(ui, 2);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (Process p : daemons) {
            stop(p);
        }
        if (hdfs != null) {
            hdfs.shutdown();
        }
    }

    @Test
    void documentedSubmitRunsTheSweepAndResumes() throws Exception {
        String root = "/selectivbench";
        Ran first = submit("first");
        assertEquals(0, first.exit(), first.output());
        assertTrue(first.output().contains("summary (best run over lr and warmup"), first.output());
        assertFalse(first.output().contains("warning: "), "the documented command sets what the job checks: "
                + first.output());

        FileSystem fs = hdfs.getFileSystem();
        FileStatus[] sweeps = fs.listStatus(new org.apache.hadoop.fs.Path(root, "sweeps"));
        assertEquals(1, sweeps.length);
        String sweepDir = sweeps[0].getPath().toString();
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path(sweepDir, "summary.csv")));
        List<Row> runs = LocalSpark.get().read().parquet(sweepDir + "/runs").orderBy("seed").collectAsList();
        assertEquals(2, runs.size());
        List<String> devices = new ArrayList<>();
        for (Row r : runs) {
            assertEquals("ok", r.getAs("status"), (String) r.getAs("failure"));
            assertEquals("cpu", r.getAs("nd4j_device"), "the CPU build runs on the CPU whatever the GPU");
            devices.add(r.getAs("device"));
        }
        assertEquals(List.of("gpu:0", "gpu:1"), devices.stream().sorted().toList(),
                "the two runs ran at once, one on each worker's GPU");

        // Each executor showed CUDA exactly its worker's GPU, in PCI order, before ND4J started.
        for (Map.Entry<String, Path> w : workerDirs.entrySet()) {
            String logs = executorLogs(w.getValue());
            assertTrue(logs.contains("executor GPUs [" + w.getKey() + "]: CUDA_VISIBLE_DEVICES=" + w.getKey()
                    + " CUDA_DEVICE_ORDER=PCI_BUS_ID set before ND4J starts"), logs);
        }
        // spark.hadoop.* reached the executors: the files they wrote have the job's replication.
        for (Row r : runs) {
            org.apache.hadoop.fs.Path row = new org.apache.hadoop.fs.Path(sweepDir + "/runs/" + r.getAs("run_id")
                    + ".parquet");
            assertEquals(1, fs.getFileStatus(row).getReplication(), row.toString());
        }

        // A rerun resumes: the seed-1 run is skipped; seed 2's row is gone and its training split's
        // manifest lost a key (a missing or damaged part would be set aside and written again), so it
        // runs again and fails, with its reason in the row and its trace in the log.
        Row broken = runs.get(1);
        String id = broken.getAs("run_id");
        fs.delete(new org.apache.hadoop.fs.Path(sweepDir + "/runs/" + id + ".parquet"), false);
        org.apache.hadoop.fs.Path manifest = new org.apache.hadoop.fs.Path(root + "/datasets/" + broken.getAs("dataset")
                + "/split=train/_MANIFEST.json");
        String json;
        try (java.io.InputStream in = fs.open(manifest)) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try (java.io.OutputStream o = fs.create(manifest, true)) {
            o.write(com.typesafe.config.ConfigFactory.parseString(json).withoutPath("classes").root()
                    .render(com.typesafe.config.ConfigRenderOptions.concise()).getBytes(StandardCharsets.UTF_8));
        }
        Ran again = submit("again");
        assertEquals(3, again.exit(), "some runs failed: " + again.output());
        assertTrue(again.output().contains("2 runs planned (2 training, 0 evaluation-only), 1 already done"),
                again.output());
        Row failed = LocalSpark.get().read().parquet(sweepDir + "/runs").where("run_id = '" + id + "'").first();
        assertEquals("failed", failed.getAs("status"));
        String failure = failed.getAs("failure");
        assertTrue(failure.startsWith("Missing: ") && failure.contains("No configuration setting found for key 'classes'"),
                failure);
        assertTrue(failure.lines().skip(1).allMatch(l -> l.startsWith("at ")) && failure.lines().count() > 3,
                "the first stack frames: " + failure);
        String logs = executorLogs(workerDirs.get("0")) + executorLogs(workerDirs.get("1"));
        assertTrue(logs.contains("run " + id + " failed") && logs.contains("com.typesafe.config.ConfigException$Missing")
                && logs.contains("at org.selectivbench.spark.TrainingExecutor.execute"), "the whole trace: " + logs);
    }

    private record Ran(int exit, String output) {
    }

    /** The documented spark-submit command, filled in for this cluster, run as spark-submit runs it. */
    private static Ran submit(String name) throws Exception {
        List<String> args = documentedCommand();
        assertEquals("spark-submit", args.get(0));
        int jar = args.indexOf("spark-job/target/spark-job-0.1.0-SNAPSHOT-cluster.jar");
        assertTrue(jar > 0, "the command submits the cluster jar: " + args);
        List<String> submit = new ArrayList<>(args.subList(1, jar));
        // One datanode; and no task before both executors are up, so the two runs meet two GPUs.
        submit.addAll(List.of("--conf", "spark.hadoop.dfs.replication=1", "--conf", "spark.cores.max=8",
                "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0"));
        submit.addAll(args.subList(jar, args.size()));
        // Two runs: one model, two seeds, a tiny grammar and dataset, a few updates.
        submit.addAll(List.of("--set", "grammar={vocab=6, ambiguities=5, depth=2}",
                "--set", "data={elements=12, train-examples=32, test-examples=8, examples-per-file=100}",
                "--set", "train={batch-size=16, eval-every=2, eval-batch-size=8}",
                "--set", "grid={tasks=[task1], seeds=[1, 2], grammars=[{}], models=[mamba2], widths=[8], layers=[1],"
                        + " learning-rates=[1e-3], warmups=[1]}",
                // nightly.conf's first night has no earlier night to compare with (exit 5); this is
                // about the cluster, not the alarm (AlarmTest)
                "--set", "report.require-baseline=false"));
        List<String> cmd = sparkClass(Map.of(), "org.apache.spark.deploy.SparkSubmit", submit.toArray(String[]::new));
        Path out = tmp.resolve("submit-" + name + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(PROJECT.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().putAll(sparkEnv(Map.of()));
        long started = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(SUBMIT_MINUTES, TimeUnit.MINUTES)) {
            stop(p);
            fail("spark-submit did not finish in " + SUBMIT_MINUTES + " minutes: " + Files.readString(out));
        }
        System.out.printf("StandaloneClusterTest: submission '%s' took %.0f s%n", name,
                (System.nanoTime() - started) / 1e9);
        return new Ran(p.exitValue(), Files.readString(out));
    }

    /** The spark-submit block of docs/cluster.md as shell words, with this cluster's addresses. */
    static List<String> documentedCommand() throws IOException {
        String doc = Files.readString(PROJECT.resolve("docs/cluster.md"));
        Matcher m = Pattern.compile("```\\n(spark-submit .*?)```", Pattern.DOTALL).matcher(doc);
        assertTrue(m.find(), "docs/cluster.md has a spark-submit block");
        String command = m.group(1).replace("\\\n", " ")
                .replace("spark://MASTER:7077", masterUrl)
                .replace("hdfs://NAMENODE:8020", hdfs.getURI().toString())
                .replace("/opt/selectivbench/bin/", PROJECT.resolve("bin") + "/");
        return words(command);
    }

    /** Splits a shell command line into words: blanks separate, double quotes group. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) {
                    out.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(c);
                any = true;
            }
        }
        assertFalse(quoted, "unbalanced quotes in " + line);
        if (any) {
            out.add(w.toString());
        }
        return out;
    }

    /**
     * The command Spark's scripts (bin/spark-class) would run for a class: Spark's launcher library
     * prints it, NUL-separated, as spark-class reads it.
     */
    static List<String> sparkClass(Map<String, String> env, String mainClass, String... args) throws Exception {
        List<String> launcher = new ArrayList<>(List.of(java(), "-Xmx128m", "-cp", sparkHome.resolve("jars") + "/*",
                "org.apache.spark.launcher.Main", mainClass));
        launcher.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(launcher);
        pb.environment().putAll(sparkEnv(env));
        Process p = pb.redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] printed;
        try (InputStream in = p.getInputStream()) {
            printed = in.readAllBytes();
        }
        assertEquals(0, p.waitFor(), "Spark's launcher failed for " + mainClass);
        // The first word comes after a newline: spark-class reads words with 'read -d', which drops it.
        return Stream.of(new String(printed, StandardCharsets.UTF_8).split("\0")).map(String::strip)
                .filter(w -> !w.isEmpty()).toList();
    }

    private static Map<String, String> sparkEnv(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("SPARK_HOME", sparkHome.toString());
        env.put("SPARK_SCALA_VERSION", "2.12");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.putAll(extra);
        return env;
    }

    private static Process start(List<String> cmd, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(sparkEnv(env));
        return pb.start();
    }

    /** Stops a process and everything it started (a worker's executors). */
    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> children = p.descendants().toList();
        p.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        for (ProcessHandle c : children) {
            c.onExit().completeOnTimeout(c, 30, TimeUnit.SECONDS).join();
            c.destroyForcibly();
        }
    }

    private static void awaitWorkers(int uiPort, int count) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String state = "";
        while (System.nanoTime() < deadline) {
            try {
                state = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                if (state.replace(" ", "").contains("\"aliveworkers\":" + count)) {
                    return;
                }
            } catch (IOException notYet) {
                // the master is still starting
            }
            for (Process d : daemons) {
                assertTrue(d.isAlive(), "a Spark daemon exited: " + Files.readString(tmp.resolve("master.log")));
            }
            Thread.sleep(500);
        }
        fail("the workers did not register with the master: " + state);
    }

    private static String executorLogs(Path workDir) throws IOException {
        StringBuilder s = new StringBuilder();
        try (Stream<Path> files = Files.walk(workDir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                s.append(Files.readString(f));
            }
        }
        return s.toString();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
