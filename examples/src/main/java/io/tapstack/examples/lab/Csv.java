package io.tapstack.examples.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A CSV file the labs wrote (a header line, then rows of plain fields; a quoted field is the last one), read back by
 * column name: the charts are drawn from the files a student gets, not from the lab's memory.
 */
final class Csv
{
    private final List<String> header;
    private final List<String[]> rows;

    private Csv(final List<String> header, final List<String[]> rows)
    {
        this.header = header;
        this.rows = rows;
    }

    static Csv read(final Path file) throws IOException
    {
        final List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        final List<String> header = Arrays.asList(lines.get(0).split(","));
        final List<String[]> rows = new ArrayList<>();
        for (final String line : lines.subList(1, lines.size()))
        {
            if (!line.isEmpty())
            {
                rows.add(line.split(",", header.size()));
            }
        }
        return new Csv(header, rows);
    }

    List<String> header()
    {
        return header;
    }

    int size()
    {
        return rows.size();
    }

    int column(final String name)
    {
        final int i = header.indexOf(name);
        if (i < 0)
        {
            throw new IllegalArgumentException("no column " + name + " in " + header);
        }
        return i;
    }

    String text(final int row, final String column)
    {
        return rows.get(row)[column(column)];
    }

    /** The field as a number; NaN when empty. */
    double number(final int row, final String column)
    {
        final String field = text(row, column);
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }
}
