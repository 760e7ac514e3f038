package org.selectivbench.data;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The Parquet schema of stored examples, with a writer and a reader that go straight from
 * {@link TaskExample} to Parquet's record API (no intermediate row objects: generation writes
 * hundreds of millions of integers). Arrays are Parquet repeated int32 fields, which Spark reads as
 * {@code array<int>}. The schema is documented in docs/datasets.md.
 */
public final class ExampleParquet {
    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message selectivbench_example {
              required int64 index;
              required int32 steps;
              repeated int32 symbols;
              repeated int32 classes;
              repeated int32 gaps;
              repeated int32 distractors;
              required int64 noise_seed;
            }""");

    private static final String[] ARRAYS = {"symbols", "classes", "gaps", "distractors"};

    private ExampleParquet() {
    }

    public static ParquetWriter<TaskExample> writer(Path file, Configuration conf) throws IOException {
        // page checksums: a damaged part is found when read instead of yielding wrong examples
        return new Builder(file).withConf(conf).withCompressionCodec(CompressionCodecName.SNAPPY)
                .withPageWriteChecksumEnabled(true).build();
    }

    public static ParquetReader<TaskExample> reader(Path file, Configuration conf) throws IOException {
        return ParquetReader.builder(new Read(), file).withConf(conf).usePageChecksumVerification(true).build();
    }

    private static final class Builder extends ParquetWriter.Builder<TaskExample, Builder> {
        Builder(Path file) {
            super(file);
        }

        @Override
        protected Builder self() {
            return this;
        }

        @Override
        protected WriteSupport<TaskExample> getWriteSupport(Configuration conf) {
            return new Write();
        }
    }

    private static final class Write extends WriteSupport<TaskExample> {
        private RecordConsumer out;

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(SCHEMA, new HashMap<>());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(TaskExample ex) {
            out.startMessage();
            out.startField("index", 0);
            out.addLong(ex.index());
            out.endField("index", 0);
            out.startField("steps", 1);
            out.addInteger(ex.steps());
            out.endField("steps", 1);
            int[][] arrays = {ex.symbols(), ex.classes(), ex.gaps(), ex.distractors()};
            for (int f = 0; f < arrays.length; f++) {
                if (arrays[f].length > 0) { // an empty repeated field is written by omitting it
                    out.startField(ARRAYS[f], 2 + f);
                    for (int v : arrays[f]) {
                        out.addInteger(v);
                    }
                    out.endField(ARRAYS[f], 2 + f);
                }
            }
            out.startField("noise_seed", 6);
            out.addLong(ex.noiseSeed());
            out.endField("noise_seed", 6);
            out.endMessage();
        }
    }

    private static final class Read extends ReadSupport<TaskExample> {
        @Override
        public ReadContext init(InitContext context) {
            return new ReadContext(SCHEMA);
        }

        @Override
        public RecordMaterializer<TaskExample> prepareForRead(Configuration conf, Map<String, String> meta,
                                                              MessageType fileSchema, ReadContext context) {
            if (!fileSchema.equals(SCHEMA)) {
                throw new IllegalStateException("not a SelectivBench example file: schema " + fileSchema);
            }
            return new Materializer();
        }
    }

    /** Collects one record's fields; arrays grow in place and are copied out once per record. */
    private static final class Materializer extends RecordMaterializer<TaskExample> {
        private long index;
        private long noiseSeed;
        private final int[][] buffers = new int[4][256];
        private final int[] sizes = new int[4];
        private final Converter[] converters = new Converter[7];

        Materializer() {
            converters[0] = new PrimitiveConverter() {
                @Override
                public void addLong(long value) {
                    index = value;
                }
            };
            converters[1] = new PrimitiveConverter() {
                @Override
                public void addInt(int value) {
                    // steps is derived from gaps; stored for SQL convenience only
                }
            };
            for (int f = 0; f < 4; f++) {
                final int field = f;
                converters[2 + f] = new PrimitiveConverter() {
                    @Override
                    public void addInt(int value) {
                        if (sizes[field] == buffers[field].length) {
                            buffers[field] = Arrays.copyOf(buffers[field], sizes[field] * 2);
                        }
                        buffers[field][sizes[field]++] = value;
                    }
                };
            }
            converters[6] = new PrimitiveConverter() {
                @Override
                public void addLong(long value) {
                    noiseSeed = value;
                }
            };
        }

        private final GroupConverter root = new GroupConverter() {
            @Override
            public Converter getConverter(int fieldIndex) {
                return converters[fieldIndex];
            }

            @Override
            public void start() {
                Arrays.fill(sizes, 0);
            }

            @Override
            public void end() {
            }
        };

        @Override
        public TaskExample getCurrentRecord() {
            return new TaskExample(index, Arrays.copyOf(buffers[0], sizes[0]), Arrays.copyOf(buffers[1], sizes[1]),
                    Arrays.copyOf(buffers[2], sizes[2]), Arrays.copyOf(buffers[3], sizes[3]), noiseSeed);
        }

        @Override
        public GroupConverter getRootConverter() {
            return root;
        }
    }
}
