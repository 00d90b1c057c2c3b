import { useEffect, useState } from 'react';

/** A search field that reports its value once typing pauses, so a list is not fetched on every key. */
export function SearchBox({ label, value, onChange, placeholder }: {
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
  readonly placeholder?: string;
}) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onChange(text), 300);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <input type="search" className="search" aria-label={label} placeholder={placeholder} value={text}
      onChange={(event) => setText(event.target.value)}
      onKeyDown={(event) => {
        if (event.key === 'Enter') onChange(text);
      }} />
  );
}
