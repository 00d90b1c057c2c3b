import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { applyStoredTheme } from './theme.js';
import './styles.css';

applyStoredTheme();
createRoot(document.getElementById('root')!).render(<App />);
