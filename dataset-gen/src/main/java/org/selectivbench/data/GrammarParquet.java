package org.selectivbench.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * A grammar as Parquet, one row per hidden state: its class id, name (e.g. {@code K17}), symbol,
 * whether it is a start state, and {@code next[symbol]}, the state that symbol leads to (-1: the
 * symbol cannot follow). Grammars are small, so the simple Group API is enough here.
 */
public final class GrammarParquet {
    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message selectivbench_grammar_state {
              required int32 class;
              required binary name (STRING);
              required int32 symbol;
              required boolean start;
              repeated int32 next;
            }""");

    private GrammarParquet() {
    }

    public static void write(Grammar g, Path file, Configuration conf) throws IOException {
        SimpleGroupFactory rows = new SimpleGroupFactory(SCHEMA);
        boolean[] start = new boolean[g.numStates()];
        for (int s : g.startStates()) {
            start[s] = true;
        }
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(file).withConf(conf).withType(SCHEMA).build()) {
            for (int s = 0; s < g.numStates(); s++) {
                Group row = rows.newGroup()
                        .append("class", s)
                        .append("name", g.stateName(s))
                        .append("symbol", g.symbolOf(s))
                        .append("start", start[s]);
                for (int a = 0; a < g.vocab(); a++) {
                    row.append("next", g.next(s, a));
                }
                w.write(row);
            }
        }
    }

    /** Reads a grammar back; the spec must be the one it was generated from (it is in the manifest). */
    public static Grammar read(GrammarSpec spec, Path file, Configuration conf) throws IOException {
        int n = spec.numStates();
        int vocab = spec.vocab();
        int[] symbol = new int[n];
        String[] name = new String[n];
        int[] next = new int[n * vocab];
        List<Integer> start = new ArrayList<>();
        int rows = 0;
        try (ParquetReader<Group> r = ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
            for (Group row = r.read(); row != null; row = r.read()) {
                int s = row.getInteger("class", 0);
                symbol[s] = row.getInteger("symbol", 0);
                name[s] = row.getString("name", 0);
                if (row.getBoolean("start", 0)) {
                    start.add(s);
                }
                if (row.getFieldRepetitionCount("next") != vocab) {
                    throw new IOException(file + ": state " + s + " has " + row.getFieldRepetitionCount("next")
                            + " next entries, expected vocab = " + vocab);
                }
                for (int a = 0; a < vocab; a++) {
                    next[s * vocab + a] = row.getInteger("next", a);
                }
                rows++;
            }
        }
        if (rows != n) {
            throw new IOException(file + " holds " + rows + " states, expected " + n + " for " + spec);
        }
        return Grammar.of(spec, symbol, name, next, start.stream().mapToInt(Integer::intValue).toArray());
    }
}
