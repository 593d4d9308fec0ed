package io.tapstack.trace;

import java.util.Arrays;

/**
 * A classic BPF program (the filter language of tcpdump, libpcap and Linux socket filters), checked as Linux's
 * {@code bpf_check_classic} checks a socket filter before it attaches it, so that {@link BpfInterpreter} can run
 * it on any frame without a bounds check failing, a loop, or an exception:
 * <ul>
 *   <li>1 to {@value #MAX_INSTRUCTIONS} instructions, each an opcode the kernel accepts (no ancillary loads);</li>
 *   <li>every jump lands inside the program and goes forward (classic BPF has no backward jump, so a run takes at
 *   most one step per instruction);</li>
 *   <li>no division or remainder by a constant zero, no shift by a constant of 32 or more;</li>
 *   <li>scratch memory: a cell index below {@value #MEMORY_WORDS}, and every path stores a cell before it loads
 *   it;</li>
 *   <li>the last instruction returns.</li>
 * </ul>
 * A program comes from libpcap's compiler ({@code pcap_compile}, bound in stack-tap) or from tcpdump's
 * {@code -ddd} output ({@link #parse}). Immutable: one program may be shared by several interpreters.
 *
 * <p>The instruction set, for a reader: an accumulator {@code A}, an index register {@code X}, 16 scratch words
 * {@code M[]}; loads from the frame (big-endian, at a constant offset or {@code X} plus one), arithmetic on
 * {@code A}, conditional jumps with a true and a false offset, and {@code ret}, whose value is how many bytes of
 * the frame to keep (0: the frame is not wanted).
 */
public final class BpfProgram
{
    /** Linux's BPF_MAXINSNS. */
    public static final int MAX_INSTRUCTIONS = 4096;
    /** BPF_MEMWORDS: the scratch memory cells. */
    public static final int MEMORY_WORDS = 16;

    // instruction classes (code & 0x07)
    static final int LD = 0x00;
    static final int LDX = 0x01;
    static final int ST = 0x02;
    static final int STX = 0x03;
    static final int ALU = 0x04;
    static final int JMP = 0x05;
    static final int RET = 0x06;
    static final int MISC = 0x07;

    // the opcodes Linux accepts in a classic filter (net/core/filter.c, bpf_check_classic's table)
    static final int LD_W_ABS = 0x20;
    static final int LD_H_ABS = 0x28;
    static final int LD_B_ABS = 0x30;
    static final int LD_W_IND = 0x40;
    static final int LD_H_IND = 0x48;
    static final int LD_B_IND = 0x50;
    static final int LD_W_LEN = 0x80;
    static final int LD_IMM = 0x00;
    static final int LD_MEM = 0x60;
    static final int LDX_W_LEN = 0x81;
    static final int LDX_B_MSH = 0xb1;
    static final int LDX_IMM = 0x01;
    static final int LDX_MEM = 0x61;
    static final int ST_MEM = 0x02;
    static final int STX_MEM = 0x03;
    static final int ADD_K = 0x04;
    static final int ADD_X = 0x0c;
    static final int SUB_K = 0x14;
    static final int SUB_X = 0x1c;
    static final int MUL_K = 0x24;
    static final int MUL_X = 0x2c;
    static final int DIV_K = 0x34;
    static final int DIV_X = 0x3c;
    static final int OR_K = 0x44;
    static final int OR_X = 0x4c;
    static final int AND_K = 0x54;
    static final int AND_X = 0x5c;
    static final int LSH_K = 0x64;
    static final int LSH_X = 0x6c;
    static final int RSH_K = 0x74;
    static final int RSH_X = 0x7c;
    static final int NEG = 0x84;
    static final int MOD_K = 0x94;
    static final int MOD_X = 0x9c;
    static final int XOR_K = 0xa4;
    static final int XOR_X = 0xac;
    static final int JA = 0x05;
    static final int JEQ_K = 0x15;
    static final int JEQ_X = 0x1d;
    static final int JGT_K = 0x25;
    static final int JGT_X = 0x2d;
    static final int JGE_K = 0x35;
    static final int JGE_X = 0x3d;
    static final int JSET_K = 0x45;
    static final int JSET_X = 0x4d;
    static final int RET_K = 0x06;
    static final int RET_A = 0x16;
    static final int TAX = 0x07;
    static final int TXA = 0x87;

    /** Linux's SKF_AD_OFF: absolute loads at or above it (as unsigned) ask for ancillary data, which we have not. */
    private static final int ANCILLARY_OFFSET = -0x1000;

    private final short[] code;
    private final byte[] jt;
    private final byte[] jf;
    private final int[] k;

    private BpfProgram(final short[] code, final byte[] jt, final byte[] jf, final int[] k)
    {
        this.code = code;
        this.jt = jt;
        this.jf = jf;
        this.k = k;
    }

    /**
     * A checked program from its instructions ({@code struct sock_filter}: code, jt, jf, k); the arrays are copied.
     *
     * @throws InvalidBpfProgramException naming the first instruction the check refuses and why
     */
    public static BpfProgram of(final int[] code, final int[] jt, final int[] jf, final int[] k)
    {
        final int n = code.length;
        if (jt.length != n || jf.length != n || k.length != n)
        {
            throw new IllegalArgumentException("code, jt, jf and k must have one entry per instruction");
        }
        final short[] c = new short[n];
        final byte[] t = new byte[n];
        final byte[] f = new byte[n];
        for (int i = 0; i < n; i++)
        {
            if ((code[i] & ~0xffff) != 0 || (jt[i] & ~0xff) != 0 || (jf[i] & ~0xff) != 0)
            {
                throw new InvalidBpfProgramException(i, "code must fit 16 bits and jt, jf 8 bits");
            }
            c[i] = (short)code[i];
            t[i] = (byte)jt[i];
            f[i] = (byte)jf[i];
        }
        final BpfProgram program = new BpfProgram(c, t, f, k.clone());
        program.check();
        return program;
    }

    /**
     * A checked program from tcpdump's {@code -ddd} output ({@code tcpdump -ddd 'tcp port 80'}): the instruction
     * count on the first line, then one instruction per line as four decimal numbers, code, jt, jf and k.
     *
     * @throws InvalidBpfProgramException when the text is not of that form or the program fails the check
     */
    public static BpfProgram parse(final String ddd)
    {
        final String[] lines = ddd.strip().split("\\R");
        try
        {
            final int n = Integer.parseInt(lines[0].strip());
            if (n != lines.length - 1)
            {
                throw new InvalidBpfProgramException(-1, "the first line says " + n + " instructions, "
                    + (lines.length - 1) + " follow");
            }
            final int[] code = new int[n];
            final int[] jt = new int[n];
            final int[] jf = new int[n];
            final int[] k = new int[n];
            for (int i = 0; i < n; i++)
            {
                final String[] fields = lines[i + 1].strip().split("\\s+");
                if (fields.length != 4)
                {
                    throw new InvalidBpfProgramException(i, "expected 'code jt jf k', not '" + lines[i + 1] + "'");
                }
                code[i] = Integer.parseInt(fields[0]);
                jt[i] = Integer.parseInt(fields[1]);
                jf[i] = Integer.parseInt(fields[2]);
                k[i] = (int)Long.parseLong(fields[3]);
            }
            return of(code, jt, jf, k);
        }
        catch (final NumberFormatException ex)
        {
            throw new InvalidBpfProgramException(-1, "not tcpdump -ddd output: " + ex.getMessage());
        }
    }

    /** The program that keeps every frame whole: what no filter means. */
    public static BpfProgram acceptAll()
    {
        return of(new int[] {RET_K}, new int[] {0}, new int[] {0}, new int[] {0xFFFF_FFFF});
    }

    /** bpf_check_classic: each instruction by itself, then the last one, then the scratch memory's use. */
    private void check()
    {
        final int n = code.length;
        if (n == 0 || n > MAX_INSTRUCTIONS)
        {
            throw new InvalidBpfProgramException(-1, "a program has 1.." + MAX_INSTRUCTIONS + " instructions, not "
                + n);
        }
        for (int pc = 0; pc < n; pc++)
        {
            final int c = code(pc);
            if (!isKnownOpcode(c))
            {
                throw new InvalidBpfProgramException(pc, "unknown opcode 0x" + Integer.toHexString(c));
            }
            switch (c)
            {
                case DIV_K, MOD_K ->
                {
                    if (k[pc] == 0)
                    {
                        throw new InvalidBpfProgramException(pc, "division by a constant zero");
                    }
                }
                case LSH_K, RSH_K ->
                {
                    if (Integer.compareUnsigned(k[pc], 32) >= 0)
                    {
                        throw new InvalidBpfProgramException(pc, "shift by " + Integer.toUnsignedString(k[pc]));
                    }
                }
                case LD_MEM, LDX_MEM, ST_MEM, STX_MEM ->
                {
                    if (Integer.compareUnsigned(k[pc], MEMORY_WORDS) >= 0)
                    {
                        throw new InvalidBpfProgramException(pc, "scratch memory cell " + Integer.toUnsignedString(
                            k[pc]) + " (there are " + MEMORY_WORDS + ")");
                    }
                }
                case JA ->
                {
                    // the jump offset counts from the next instruction; it must land before the end
                    if (Long.compareUnsigned(k[pc] & 0xFFFF_FFFFL, n - pc - 1) >= 0)
                    {
                        throw new InvalidBpfProgramException(pc, "jump past the end");
                    }
                }
                case JEQ_K, JEQ_X, JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X ->
                {
                    if (pc + jt(pc) + 1 >= n || pc + jf(pc) + 1 >= n)
                    {
                        throw new InvalidBpfProgramException(pc, "jump past the end");
                    }
                }
                case LD_W_ABS, LD_H_ABS, LD_B_ABS ->
                {
                    if (Integer.compareUnsigned(k[pc], ANCILLARY_OFFSET) >= 0)
                    {
                        throw new InvalidBpfProgramException(pc, "ancillary load (Linux SKF_AD_*) not supported");
                    }
                }
                default ->
                {
                    // no further rule
                }
            }
        }
        final int last = code(n - 1);
        if (last != RET_K && last != RET_A)
        {
            throw new InvalidBpfProgramException(n - 1, "the last instruction must return");
        }
        checkLoadsAfterStores();
    }

    /**
     * Every scratch cell is stored on every path before it is loaded: one pass in program order (jumps go forward
     * only), keeping for each instruction the cells valid on all the paths that reach it. As in the kernel, the
     * instruction after a {@code ret} also inherits what was valid before it (stricter than it need be).
     */
    private void checkLoadsAfterStores()
    {
        final int n = code.length;
        final int[] validOnEntry = new int[n];
        Arrays.fill(validOnEntry, 0xFFFF);
        int valid = 0;
        for (int pc = 0; pc < n; pc++)
        {
            valid &= validOnEntry[pc];
            final int c = code(pc);
            switch (c)
            {
                case ST_MEM, STX_MEM -> valid |= 1 << k[pc];
                case LD_MEM, LDX_MEM ->
                {
                    if ((valid & (1 << k[pc])) == 0)
                    {
                        throw new InvalidBpfProgramException(pc, "scratch memory cell " + k[pc]
                            + " is loaded before it is stored");
                    }
                }
                case JA ->
                {
                    validOnEntry[pc + 1 + k[pc]] &= valid;
                    // the next instruction is reached only by jumps, which have set its entry
                    valid = 0xFFFF;
                }
                case JEQ_K, JEQ_X, JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X ->
                {
                    validOnEntry[pc + 1 + jt(pc)] &= valid;
                    validOnEntry[pc + 1 + jf(pc)] &= valid;
                    valid = 0xFFFF;
                }
                default ->
                {
                    // no effect on memory
                }
            }
        }
    }

    private static boolean isKnownOpcode(final int c)
    {
        return switch (c)
        {
            case LD_W_ABS, LD_H_ABS, LD_B_ABS, LD_W_IND, LD_H_IND, LD_B_IND, LD_W_LEN, LD_IMM, LD_MEM,
                LDX_W_LEN, LDX_B_MSH, LDX_IMM, LDX_MEM, ST_MEM, STX_MEM,
                ADD_K, ADD_X, SUB_K, SUB_X, MUL_K, MUL_X, DIV_K, DIV_X, OR_K, OR_X, AND_K, AND_X, LSH_K, LSH_X,
                RSH_K, RSH_X, NEG, MOD_K, MOD_X, XOR_K, XOR_X,
                JA, JEQ_K, JEQ_X, JGT_K, JGT_X, JGE_K, JGE_X, JSET_K, JSET_X, RET_K, RET_A, TAX, TXA -> true;
            default -> false;
        };
    }

    /** The number of instructions. */
    public int length()
    {
        return code.length;
    }

    int code(final int pc)
    {
        return code[pc] & 0xFFFF;
    }

    int jt(final int pc)
    {
        return jt[pc] & 0xFF;
    }

    int jf(final int pc)
    {
        return jf[pc] & 0xFF;
    }

    int k(final int pc)
    {
        return k[pc];
    }

    /** tcpdump's {@code -ddd} form of the program (what {@link #parse} reads). */
    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder().append(code.length).append('\n');
        for (int pc = 0; pc < code.length; pc++)
        {
            sb.append(code(pc)).append(' ').append(jt(pc)).append(' ').append(jf(pc)).append(' ')
                .append(Integer.toUnsignedString(k[pc])).append('\n');
        }
        return sb.toString();
    }

    /** A program the check refuses; {@link #instruction()} is -1 when the program as a whole is wrong. */
    public static final class InvalidBpfProgramException extends IllegalArgumentException
    {
        private final int instruction;

        InvalidBpfProgramException(final int instruction, final String reason)
        {
            super(instruction < 0 ? "invalid BPF program: " + reason
                : "invalid BPF program: instruction " + instruction + ": " + reason);
            this.instruction = instruction;
        }

        public int instruction()
        {
            return instruction;
        }
    }
}
