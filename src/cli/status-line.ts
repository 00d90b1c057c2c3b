/**
 * Progress of a long CLI command on standard error, so standard output stays what scripts read: on a terminal one
 * line rewritten in place; otherwise (a CI log, a file) a plain line each time the text changes, never a carriage
 * return or escape sequence.
 */
export interface StatusLine {
  show(text: string): void;
  /** Ends the line on a terminal, so what is printed next starts on a fresh one. */
  end(): void;
}

export function statusLine(stream: NodeJS.WriteStream = process.stderr): StatusLine {
  let last: string | undefined;
  if (!stream.isTTY) {
    return {
      show(text) {
        if (text === last) return;
        last = text;
        stream.write(`${text}\n`);
      },
      end() {},
    };
  }
  return {
    show(text) {
      if (text === last) return;
      last = text;
      // Cut to the terminal's width: a wrapped line would leave its first part behind when rewritten.
      const width = Math.max(20, (stream.columns ?? 80) - 1);
      stream.write(`\r\u001b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    },
    end() {
      if (last !== undefined) stream.write('\n');
      last = undefined;
    },
  };
}
