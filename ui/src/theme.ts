import { useCallback, useEffect, useState } from 'react';

/**
 * Light and dark schemes: the system's preference (prefers-color-scheme) until the user picks one with the toggle,
 * which is remembered in localStorage. The choice is set as `data-theme` on <html>, which the CSS variables follow.
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

/** Applies the stored choice before the first render, so the page does not flash the other scheme. */
export function applyStoredTheme(): void {
  const theme = storedTheme();
  if (theme !== undefined) document.documentElement.dataset.theme = theme;
}

export function useTheme(): { theme: Theme; toggle(): void } {
  const [theme, setTheme] = useState<Theme>(() => storedTheme() ?? systemTheme());
  useEffect(() => {
    const media = window.matchMedia(darkQuery);
    const follow = () => {
      if (storedTheme() === undefined) setTheme(systemTheme());
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
