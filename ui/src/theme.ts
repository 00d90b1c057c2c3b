import { useCallback, useEffect, useState } from 'react';

/**
 * Light and dark schemes: the system's preference (prefers-color-scheme) until the user picks one with the toggle,
 * which is remembered in localStorage. The scheme in force is always set as `data-theme` on <html>, the one thing
 * the CSS variables follow (so the dark palette is written once).
 */
export type Theme = 'light' | 'dark';

const storageKey = 'berth.theme';
const darkQuery = '(prefers-color-scheme: dark)';

function storedTheme(): Theme | undefined {
  try {
    const value = localStorage.getItem(storageKey);
    return value === 'light' || value === 'dark' ? value : undefined;
  } catch {
    return undefined;
  }
}

function systemTheme(): Theme {
  return window.matchMedia(darkQuery).matches ? 'dark' : 'light';
}

/** Applies the stored choice, else the system's, before the first render, so the page does not flash the other scheme. */
export function applyStoredTheme(): void {
  document.documentElement.dataset.theme = storedTheme() ?? systemTheme();
}

export function useTheme(): { theme: Theme; toggle(): void } {
  const [theme, setTheme] = useState<Theme>(() => storedTheme() ?? systemTheme());
  useEffect(() => {
    const media = window.matchMedia(darkQuery);
    const follow = () => {
      if (storedTheme() !== undefined) return;
      document.documentElement.dataset.theme = systemTheme();
      setTheme(systemTheme());
    };
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, []);
  const toggle = useCallback(() => {
    setTheme((current) => {
      const next: Theme = current === 'dark' ? 'light' : 'dark';
      try {
        localStorage.setItem(storageKey, next);
      } catch {
        // storage refused (private mode): the choice lasts for this page only
      }
      document.documentElement.dataset.theme = next;
      return next;
    });
  }, []);
  return { theme, toggle };
}
