// Class probabilities as horizontal bars (style.css's .bars grid: label, bar, value); the most likely
// class is highlighted.

export function renderBars(container: HTMLElement, probabilities: ArrayLike<number>, labels: readonly string[]): void {
  if (probabilities.length !== labels.length) throw new RangeError(`renderBars: ${probabilities.length} probabilities for ${labels.length} labels`);
  const values = Array.from(probabilities);
  const best = values.indexOf(Math.max(...values));
  const cells = values.flatMap((p, i) => {
    const name = document.createElement('span');
    name.textContent = labels[i]!;
    const bar = document.createElement('div');
    bar.className = i === best ? 'bar best' : 'bar';
    // A sliver even at 0, so every row visibly has a bar.
    bar.style.width = `${Math.max(0.5, 100 * p).toFixed(1)}%`;
    const value = document.createElement('span');
    value.textContent = `${(100 * p).toFixed(1)}%`;
    return [name, bar, value];
  });
  container.replaceChildren(...cells);
}
