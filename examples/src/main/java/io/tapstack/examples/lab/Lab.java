package io.tapstack.examples.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** One exercise of the lab runner: it writes its files into a directory and says what it saw. */
interface Lab
{
    /** What a lab leaves behind, for the command's summary and the tests. */
    record Result(boolean ok, int chartPoints)
    {
    }

    String name();

    /** One line for {@code lab list}. */
    String summary();

    /** Runs in simulated time, writes {@code DIR/NAME.*}, prints what a student should look at. */
    Result run(Path dir, PrintStream out) throws IOException;
}
