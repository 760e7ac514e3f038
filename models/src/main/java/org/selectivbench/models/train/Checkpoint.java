package org.selectivbench.models.train;

import org.selectivbench.models.*;
import org.selectivbench.models.config.*;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Saves a model as its config (HOCON text), vocabulary, class count and parameter arrays; loading
 * rebuilds the model and assigns the arrays, so it can be evaluated on any test set and length.
 * Parameter arrays rather than SameDiff.save, because a model has one graph per sequence length.
 */
public final class Checkpoint {
    private static final String MAGIC = "selectivbench-checkpoint-1";

    private Checkpoint() {
    }

    public static void save(SequenceModel model, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeUTF(MAGIC);
            out.writeUTF(render(model.config()));
            out.writeInt(model.vocab());
            out.writeInt(model.classes());
            out.writeUTF(model.params().dtype().name());
            Map<String, INDArray> arrays = model.params().arrays();
            out.writeInt(arrays.size());
            for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                out.writeUTF(e.getKey());
                Nd4j.write(e.getValue(), out);
            }
        }
    }

    public static SequenceModel load(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            String magic = in.readUTF();
            if (!MAGIC.equals(magic)) {
                throw new IOException(file + " is not a SelectivBench checkpoint (header '" + magic + "')");
            }
            ModelConfig cfg = ModelConfig.fromConfig(ConfigFactory.parseString(in.readUTF()));
            int vocab = in.readInt();
            int classes = in.readInt();
            DataType dt = DataType.valueOf(in.readUTF());
            SequenceModel model = SequenceModel.create(cfg, vocab, classes, 0, dt);
            int n = in.readInt();
            if (n != model.params().arrays().size()) {
                throw new IOException(file + " holds " + n + " parameters, model " + cfg.name() + " has "
                        + model.params().arrays().size());
            }
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                model.params().assign(name, Nd4j.read(in));
            }
            return model;
        }
    }

    static String render(ModelConfig c) {
        return c.render();
    }
}
