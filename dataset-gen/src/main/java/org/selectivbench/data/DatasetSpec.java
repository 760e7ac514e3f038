package org.selectivbench.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Everything that determines a dataset's rows: grammar (with seed), task gap settings (with the
 * distractor law after '#' for ungrammatical gaps) and sizes.
 * Tasks with the same training settings (task 2 and task 4) share one dataset; each adds the test
 * splits it needs.
 */
public record DatasetSpec(GrammarSpec grammar, TaskSpec task, DataSpec data) implements java.io.Serializable {
    /** Bump when the generator or storage changes what a key's rows hold. */
    public static final int FORMAT_VERSION = 1;

    /** A split to materialize: train (random gaps) or a test split with a fixed gap duration. */
    public record SplitSpec(String name, Split split, double delay) implements java.io.Serializable {
    }

    public List<SplitSpec> splits() {
        List<SplitSpec> out = new ArrayList<>();
        out.add(new SplitSpec("train", Split.TRAIN, task.gapMax()));
        for (double d : task.testDelays()) {
            String name = task.testSplitName(d);
            if (out.stream().noneMatch(s -> s.name().equals(name))) {
                out.add(new SplitSpec(name, Split.TEST, d));
            }
        }
        return out;
    }

    /** The test split the task reports its accuracy on: the first test duration. */
    public SplitSpec primaryTest() {
        return splits().get(1);
    }

    /** Stable directory name: readable prefix plus a hash of every setting that affects the rows. */
    public String key() {
        String canonical = String.format(Locale.ROOT,
                "v%d|grammar:%d,%d,%d,%d,%.17g,%d|gap:%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g|data:%d,%d,%d,%d",
                FORMAT_VERSION, grammar.vocab(), grammar.ambiguities(), grammar.depth(), grammar.startStates(),
                grammar.density(), grammar.seed(), task.gap(), task.gapStart(), task.gapProb(), task.gapMin(),
                task.gapMax(), task.timestep(), task.noise(), data.elements(), data.maxStringLength(),
                data.trainExamples(), data.testExamples());
        if (task.gap() == TaskSpec.GapKind.UNGRAMMATICAL) {
            // Only ungrammatical gaps hold distractors: zero-gap datasets (tasks 2 and 4) keep one key.
            canonical += "|after-end:" + task.afterEnd().configName();
        }
        return grammar.label() + "-s" + grammar.seed() + "-" + sha256(canonical).substring(0, 12);
    }

    /** Grammar directory name; the grammar depends only on its spec. */
    public String grammarKey() {
        String canonical = String.format(Locale.ROOT, "v%d|%d,%d,%d,%d,%.17g,%d", FORMAT_VERSION, grammar.vocab(),
                grammar.ambiguities(), grammar.depth(), grammar.startStates(), grammar.density(), grammar.seed());
        return grammar.label() + "-s" + grammar.seed() + "-" + sha256(canonical).substring(0, 8);
    }

    /** The settings as a nested map, for manifests and run records. */
    public Map<String, Object> describe() {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("vocab", grammar.vocab());
        g.put("ambiguities", grammar.ambiguities());
        g.put("depth", grammar.depth());
        g.put("start-states", grammar.startStates());
        g.put("density", grammar.density());
        g.put("seed", grammar.seed());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("gap", task.gap().name().toLowerCase(Locale.ROOT));
        if (task.gap() == TaskSpec.GapKind.UNGRAMMATICAL) {
            t.put("distractors-after-end", task.afterEnd().configName());
        }
        t.put("gap-start", task.gapStart());
        t.put("gap-prob", task.gapProb());
        t.put("gap-min", task.gapMin());
        t.put("gap-max", task.gapMax());
        t.put("timestep", task.timestep());
        t.put("noise", task.noise());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("elements", data.elements());
        d.put("max-string-length", data.maxStringLength());
        d.put("train-examples", data.trainExamples());
        d.put("test-examples", data.testExamples());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("grammar", g);
        out.put("task", t);
        out.put("data", d);
        return out;
    }

    /** Hex SHA-256 of a string: the hash behind dataset, run and config ids. */
    public static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
