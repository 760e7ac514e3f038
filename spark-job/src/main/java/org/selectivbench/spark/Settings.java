package org.selectivbench.spark;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.List;

/**
 * Loads the settings of a command: reference.conf defaults of every module, then the preset file
 * given with --conf, then --set overrides, all resolved together. Keys given to --set are relative
 * to {@code selectivbench} (e.g. {@code --set grid.seeds=[1,2]}); values are HOCON. Two shorthands:
 * {@code model=NAME} sets {@code model.name} and {@code task=NAME} sets {@code grid.tasks = [NAME]}.
 */
public final class Settings {
    private Settings() {
    }

    /** The resolved {@code selectivbench} block, every key checked against its declaration ({@link Keys}). */
    public static Config load(File confFile, List<String> overrides) {
        Config config = ConfigFactory.empty();
        for (String o : overrides) {
            config = override(o).withFallback(config);
        }
        if (confFile != null) {
            if (!confFile.isFile()) {
                throw new IllegalArgumentException("--conf " + confFile + ": no such file");
            }
            config = config.withFallback(ConfigFactory.parseFile(confFile,
                    ConfigParseOptions.defaults().setAllowMissing(false)));
        }
        Config root;
        try {
            root = ConfigFactory.load(config).getConfig("selectivbench");
        } catch (ConfigException e) {
            throw new IllegalArgumentException("bad configuration: " + e.getMessage(), e);
        }
        Keys.checkAll(root);
        return root;
    }

    static Config override(String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--set " + assignment + ": expected key=value");
        }
        String key = assignment.substring(0, eq).trim();
        String value = assignment.substring(eq + 1).trim();
        // Shorthands for the commonest overrides: model=NAME and task=NAME.
        boolean name = value.matches("[A-Za-z0-9_]+");
        if (key.equals("model") && name) {
            key = "model.name";
        } else if (key.equals("task") && name) {
            key = "grid.tasks";
            value = "[" + value + "]";
        }
        String path = key.startsWith("selectivbench.") ? key : "selectivbench." + key;
        // HOCON starts a comment at // or # outside quotes, which would silently cut hdfs://host/path
        // to "hdfs:": a plain value with one is a string; inside a list or object it must be quoted.
        if (commentMarker(value)) {
            if (value.startsWith("{") || value.startsWith("[")) {
                throw new IllegalArgumentException("--set " + assignment + ": '//' and '#' start a comment in HOCON"
                        + " and would cut the value; quote the strings that hold them, e.g. [\"hdfs://host/x\"]");
            }
            return ConfigFactory.parseString(path + " = "
                    + ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise()));
        }
        try {
            return ConfigFactory.parseString(path + " = " + (value.isEmpty() ? "\"\"" : value));
        } catch (ConfigException e) {
            // A bare word with characters HOCON does not take unquoted: treat it as a string.
            return ConfigFactory.parseString(path + " = "
                    + ConfigValueFactory.fromAnyRef(value).render(ConfigRenderOptions.concise()));
        }
    }

    /** True when {@code value} holds // or # outside double quotes. */
    static boolean commentMarker(String value) {
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && (c == '#' || (c == '/' && i + 1 < value.length() && value.charAt(i + 1) == '/'))) {
                return true;
            }
        }
        return false;
    }

    /** The whole config as JSON, for records. */
    public static String render(Config c) {
        return c.root().render(ConfigRenderOptions.concise());
    }
}
