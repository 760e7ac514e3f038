package org.selectivbench.models.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SimdTest {
    @Test
    void testsRunWithTheKernelsTrapLimit() {
        // the tests' JVMs take the launcher's options (pom.xml's test.jvm): the numbers are the same either
        // way, but a kernel tested with its vectors as objects is not the kernel users run
        assertTrue(Simd.on(), "the tests run with the Vector API module");
        assertTrue(Simd.trapLimit() >= Simd.TRAP_LIMIT, "-XX:PerMethodTrapLimit=" + Simd.trapLimit());
        assertTrue(Simd.recompilationCutoff() >= Simd.RECOMPILATION_CUTOFF,
                "-XX:PerMethodRecompilationCutoff=" + Simd.recompilationCutoff());
        assertEquals("on, " + String.join(" ", Simd.OPTIONS), Simd.describe());
    }

    @Test
    void aLowTrapLimitIsNamed() {
        assertEquals("off", Simd.describe(false, 100, 400));
        String low = Simd.describe(true, 100, 100_000);
        assertTrue(low.startsWith("on, -XX:PerMethodTrapLimit=100 -XX:PerMethodRecompilationCutoff=100000 (below"),
                low);
        assertTrue(Simd.describe(true, 100_000, 400).contains("(below"), "the JVM's default cutoff is named too");
        assertEquals("on", Simd.describe(true, -1, -1), "not HotSpot: nothing to say");
    }

    @Test
    void noKernelMethodTakesOrReturnsAVector() throws IOException, URISyntaxException, ClassNotFoundException {
        // whether C2 inlines one of our methods depends on the JVM (compile order, the size of the method's
        // own compiled code); one not inlined passes its vectors as heap objects (Simd's class comment)
        Path dir = Path.of(Simd.class.getResource("Simd.class").toURI()).getParent();
        List<String> found = new ArrayList<>();
        int classes = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(x -> x.toString().endsWith(".class"))::iterator) {
                String name = Simd.class.getPackageName() + "." + f.getFileName().toString().replace(".class", "");
                classes++;
                for (Method m : Class.forName(name, false, Simd.class.getClassLoader()).getDeclaredMethods()) {
                    boolean vector = isVector(m.getReturnType());
                    for (Class<?> t : m.getParameterTypes()) {
                        vector |= isVector(t);
                    }
                    if (vector) {
                        found.add(name.substring(name.lastIndexOf('.') + 1) + "." + m.getName());
                    }
                }
            }
        }
        assertTrue(classes > 50, "the package's classes were found: " + classes + " in " + dir);
        assertEquals(List.of(), found, "methods that take or return a vector");
    }

    private static boolean isVector(Class<?> t) {
        return t.getName().startsWith("jdk.incubator.vector.");
    }
}
