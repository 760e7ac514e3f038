package org.selectivbench.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version and git commit this build came from, recorded with every dataset and run. */
public final class CodeVersion {
    private static final String VALUE = load();

    private CodeVersion() {
    }

    public static String get() {
        return VALUE;
    }

    private static String load() {
        Properties p = new Properties();
        try (InputStream in = CodeVersion.class.getResourceAsStream("/selectivbench-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        String version = p.getProperty("version", "unknown");
        String commit = p.getProperty("commit", "");
        String dirty = p.getProperty("dirty", "false");
        if (commit.isEmpty() || commit.startsWith("${")) {
            return version;
        }
        return version + "+" + commit + ("true".equals(dirty) ? "-dirty" : "");
    }
}
