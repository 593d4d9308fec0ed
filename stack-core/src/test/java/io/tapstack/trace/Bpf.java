package io.tapstack.trace;

import org.agrona.concurrent.UnsafeBuffer;

/** Test helpers: a program from rows of {code, jt, jf, k}, and a run over a byte array. */
final class Bpf
{
    private Bpf()
    {
    }

    static int[] stmt(final int code, final int k)
    {
        return new int[] {code, 0, 0, k};
    }

    static int[] jump(final int code, final int k, final int jt, final int jf)
    {
        return new int[] {code, jt, jf, k};
    }

    static BpfProgram program(final int[]... rows)
    {
        final int[] code = new int[rows.length];
        final int[] jt = new int[rows.length];
        final int[] jf = new int[rows.length];
        final int[] k = new int[rows.length];
        for (int i = 0; i < rows.length; i++)
        {
            code[i] = rows[i][0];
            jt[i] = rows[i][1];
            jf[i] = rows[i][2];
            k[i] = rows[i][3];
        }
        return BpfProgram.of(code, jt, jf, k);
    }

    /** Runs the program on exactly {@code frame} (a buffer of its size: any read past it throws). */
    static int run(final BpfProgram program, final byte[] frame)
    {
        return new BpfInterpreter().run(program, new UnsafeBuffer(frame), 0, frame.length);
    }

    static int run(final BpfProgram program, final int... bytes)
    {
        final byte[] frame = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++)
        {
            frame[i] = (byte)bytes[i];
        }
        return run(program, frame);
    }
}
