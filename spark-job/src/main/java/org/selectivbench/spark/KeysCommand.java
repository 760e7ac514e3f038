package org.selectivbench.spark;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code selectivbench keys}: every setting with its type, default, bounds and meaning, from the declarations. */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = "Print every setting (key, type, default, allowed values, meaning) as Markdown.")
final class KeysCommand implements Callable<Integer> {
    @Option(names = "--summary", description = "only each block and its keys (the README's table)")
    boolean summary;

    @Override
    public Integer call() {
        System.out.print(summary ? Keys.summaryTable() : Keys.fullTable());
        return 0;
    }
}
