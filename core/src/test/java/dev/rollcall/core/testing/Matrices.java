package dev.rollcall.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * For the tests that check a lifecycle table against a matrix written out by hand (agents:
 * {@code LifecycleTableTest}; tasks: {@code TaskTriggerTest}): one parser of the matrix text and one
 * walk of the graph the table spans, so that the two tests differ only in their tables.
 */
public final class Matrices {
  private Matrices() {
  }

  /**
   * The matrix's rows by their first cell, an enum constant's name; lines starting with {@code #} are
   * comments. Each row must have exactly {@code cells} further cells, separated by white space.
   */
  public static <E extends Enum<E>> Map<E, List<String>> rows(String matrix, Class<E> rowType, int cells) {
    Map<E, List<String>> rows = new EnumMap<>(rowType);
    for (String line : matrix.strip().split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#")) {
        continue;
      }
      List<String> row = new ArrayList<>(Arrays.asList(trimmed.split("\\s+")));
      E key = Enum.valueOf(rowType, row.remove(0));
      assertThat(row).as(key.name()).hasSize(cells);
      rows.put(key, List.copyOf(row));
    }
    return rows;
  }

  /** Every node reachable from {@code start} (itself included) through {@code next}. */
  public static <S> Set<S> reachable(S start, Function<S, ? extends Collection<S>> next) {
    Set<S> seen = new HashSet<>(List.of(start));
    Deque<S> todo = new ArrayDeque<>(List.of(start));
    while (!todo.isEmpty()) {
      for (S s : next.apply(todo.pop())) {
        if (seen.add(s)) {
          todo.push(s);
        }
      }
    }
    return seen;
  }
}
