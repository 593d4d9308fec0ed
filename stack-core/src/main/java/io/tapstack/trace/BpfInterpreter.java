package io.tapstack.trace;

import org.agrona.DirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

import static io.tapstack.trace.BpfProgram.ADD_K;
import static io.tapstack.trace.BpfProgram.ADD_X;
import static io.tapstack.trace.BpfProgram.AND_K;
import static io.tapstack.trace.BpfProgram.AND_X;
import static io.tapstack.trace.BpfProgram.DIV_K;
import static io.tapstack.trace.BpfProgram.DIV_X;
import static io.tapstack.trace.BpfProgram.JA;
import static io.tapstack.trace.BpfProgram.JEQ_K;
import static io.tapstack.trace.BpfProgram.JEQ_X;
import static io.tapstack.trace.BpfProgram.JGE_K;
import static io.tapstack.trace.BpfProgram.JGE_X;
import static io.tapstack.trace.BpfProgram.JGT_K;
import static io.tapstack.trace.BpfProgram.JGT_X;
import static io.tapstack.trace.BpfProgram.JSET_K;
import static io.tapstack.trace.BpfProgram.JSET_X;
import static io.tapstack.trace.BpfProgram.LDX_B_MSH;
import static io.tapstack.trace.BpfProgram.LDX_IMM;
import static io.tapstack.trace.BpfProgram.LDX_MEM;
import static io.tapstack.trace.BpfProgram.LDX_W_LEN;
import static io.tapstack.trace.BpfProgram.LD_B_ABS;
import static io.tapstack.trace.BpfProgram.LD_B_IND;
import static io.tapstack.trace.BpfProgram.LD_H_ABS;
import static io.tapstack.trace.BpfProgram.LD_H_IND;
import static io.tapstack.trace.BpfProgram.LD_IMM;
import static io.tapstack.trace.BpfProgram.LD_MEM;
import static io.tapstack.trace.BpfProgram.LD_W_ABS;
import static io.tapstack.trace.BpfProgram.LD_W_IND;
import static io.tapstack.trace.BpfProgram.LD_W_LEN;
import static io.tapstack.trace.BpfProgram.LSH_K;
import static io.tapstack.trace.BpfProgram.LSH_X;
import static io.tapstack.trace.BpfProgram.MEMORY_WORDS;
import static io.tapstack.trace.BpfProgram.MOD_K;
import static io.tapstack.trace.BpfProgram.MOD_X;
import static io.tapstack.trace.BpfProgram.MUL_K;
import static io.tapstack.trace.BpfProgram.MUL_X;
import static io.tapstack.trace.BpfProgram.NEG;
import static io.tapstack.trace.BpfProgram.OR_K;
import static io.tapstack.trace.BpfProgram.OR_X;
import static io.tapstack.trace.BpfProgram.RET_A;
import static io.tapstack.trace.BpfProgram.RET_K;
import static io.tapstack.trace.BpfProgram.RSH_K;
import static io.tapstack.trace.BpfProgram.RSH_X;
import static io.tapstack.trace.BpfProgram.STX_MEM;
import static io.tapstack.trace.BpfProgram.ST_MEM;
import static io.tapstack.trace.BpfProgram.SUB_K;
import static io.tapstack.trace.BpfProgram.SUB_X;
import static io.tapstack.trace.BpfProgram.TAX;
import static io.tapstack.trace.BpfProgram.TXA;
import static io.tapstack.trace.BpfProgram.XOR_K;
import static io.tapstack.trace.BpfProgram.XOR_X;

/**
 * Runs a checked {@link BpfProgram} on one frame, as libpcap's {@code bpf_filter} does (tcpdump's filters give the
 * same answer here as in tcpdump): registers and memory are 32-bit unsigned, loads are big-endian, and a load past
 * the end of the frame, a division by a zero {@code X}, ends the run with 0 (the frame is not wanted). A shift by
 * an {@code X} of 32 or more gives 0, as in libpcap.
 *
 * <p>Allocates nothing, and a run is bounded: the check lets jumps go only forward, so a run takes at most one step
 * per instruction and ends in a {@code ret}. It throws nothing for any frame.
 *
 * <p>Holds the scratch memory, so one interpreter serves one thread (the stack thread); the program may be shared.
 */
public final class BpfInterpreter
{
    private final int[] memory = new int[MEMORY_WORDS];

    /**
     * Runs {@code program} on the frame of {@code length} bytes at {@code offset} (the whole frame: what the wire
     * carried).
     *
     * @return what the program returned: the bytes of the frame to keep, 0 for a frame not wanted (unsigned)
     */
    public int run(final BpfProgram program, final DirectBuffer buffer, final int offset, final int length)
    {
        final int[] m = memory;
        int a = 0;
        int x = 0;
        int pc = 0;
        while (true)
        {
            final int k = program.k(pc);
            switch (program.code(pc))
            {
                case RET_K:
                    return k;
                case RET_A:
                    return a;
                case LD_W_ABS:
                    if (!fits(k, 4, length))
                    {
                        return 0;
                    }
                    a = buffer.getInt(offset + k, BIG_ENDIAN);
                    break;
                case LD_H_ABS:
                    if (!fits(k, 2, length))
                    {
                        return 0;
                    }
                    a = buffer.getShort(offset + k, BIG_ENDIAN) & 0xFFFF;
                    break;
                case LD_B_ABS:
                    if (!fits(k, 1, length))
                    {
                        return 0;
                    }
                    a = buffer.getByte(offset + k) & 0xFF;
                    break;
                case LD_W_IND:
                {
                    final long at = (x & 0xFFFF_FFFFL) + (k & 0xFFFF_FFFFL);
                    if (at + 4 > length)
                    {
                        return 0;
                    }
                    a = buffer.getInt(offset + (int)at, BIG_ENDIAN);
                    break;
                }
                case LD_H_IND:
                {
                    final long at = (x & 0xFFFF_FFFFL) + (k & 0xFFFF_FFFFL);
                    if (at + 2 > length)
                    {
                        return 0;
                    }
                    a = buffer.getShort(offset + (int)at, BIG_ENDIAN) & 0xFFFF;
                    break;
                }
                case LD_B_IND:
                {
                    final long at = (x & 0xFFFF_FFFFL) + (k & 0xFFFF_FFFFL);
                    if (at + 1 > length)
                    {
                        return 0;
                    }
                    a = buffer.getByte(offset + (int)at) & 0xFF;
                    break;
                }
                case LD_W_LEN:
                    a = length;
                    break;
                case LD_IMM:
                    a = k;
                    break;
                case LD_MEM:
                    a = m[k];
                    break;
                case LDX_W_LEN:
                    x = length;
                    break;
                case LDX_IMM:
                    x = k;
                    break;
                case LDX_MEM:
                    x = m[k];
                    break;
                case LDX_B_MSH:
                    // the IPv4 header length: 4 * (low nibble of the byte at k)
                    if (!fits(k, 1, length))
                    {
                        return 0;
                    }
                    x = (buffer.getByte(offset + k) & 0xF) << 2;
                    break;
                case ST_MEM:
                    m[k] = a;
                    break;
                case STX_MEM:
                    m[k] = x;
                    break;
                case ADD_K:
                    a += k;
                    break;
                case ADD_X:
                    a += x;
                    break;
                case SUB_K:
                    a -= k;
                    break;
                case SUB_X:
                    a -= x;
                    break;
                case MUL_K:
                    a *= k;
                    break;
                case MUL_X:
                    a *= x;
                    break;
                case DIV_K:
                    a = Integer.divideUnsigned(a, k);
                    break;
                case DIV_X:
                    if (x == 0)
                    {
                        return 0;
                    }
                    a = Integer.divideUnsigned(a, x);
                    break;
                case MOD_K:
                    a = Integer.remainderUnsigned(a, k);
                    break;
                case MOD_X:
                    if (x == 0)
                    {
                        return 0;
                    }
                    a = Integer.remainderUnsigned(a, x);
                    break;
                case AND_K:
                    a &= k;
                    break;
                case AND_X:
                    a &= x;
                    break;
                case OR_K:
                    a |= k;
                    break;
                case OR_X:
                    a |= x;
                    break;
                case XOR_K:
                    a ^= k;
                    break;
                case XOR_X:
                    a ^= x;
                    break;
                case LSH_K:
                    a <<= k;
                    break;
                case LSH_X:
                    a = Integer.compareUnsigned(x, 32) < 0 ? a << x : 0;
                    break;
                case RSH_K:
                    a >>>= k;
                    break;
                case RSH_X:
                    a = Integer.compareUnsigned(x, 32) < 0 ? a >>> x : 0;
                    break;
                case NEG:
                    a = -a;
                    break;
                case TAX:
                    x = a;
                    break;
                case TXA:
                    a = x;
                    break;
                case JA:
                    pc += k;
                    break;
                case JEQ_K:
                    pc += a == k ? program.jt(pc) : program.jf(pc);
                    break;
                case JEQ_X:
                    pc += a == x ? program.jt(pc) : program.jf(pc);
                    break;
                case JGT_K:
                    pc += Integer.compareUnsigned(a, k) > 0 ? program.jt(pc) : program.jf(pc);
                    break;
                case JGT_X:
                    pc += Integer.compareUnsigned(a, x) > 0 ? program.jt(pc) : program.jf(pc);
                    break;
                case JGE_K:
                    pc += Integer.compareUnsigned(a, k) >= 0 ? program.jt(pc) : program.jf(pc);
                    break;
                case JGE_X:
                    pc += Integer.compareUnsigned(a, x) >= 0 ? program.jt(pc) : program.jf(pc);
                    break;
                case JSET_K:
                    pc += (a & k) != 0 ? program.jt(pc) : program.jf(pc);
                    break;
                case JSET_X:
                    pc += (a & x) != 0 ? program.jt(pc) : program.jf(pc);
                    break;
                default:
                    // unreachable: the program was checked
                    return 0;
            }
            pc++;
        }
    }

    /** Whether {@code size} bytes at the unsigned offset {@code k} lie inside a frame of {@code length} bytes. */
    private static boolean fits(final int k, final int size, final int length)
    {
        return (k & 0xFFFF_FFFFL) + size <= length;
    }
}
