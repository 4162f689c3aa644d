import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { resetMedia } from './media';

beforeEach(() => {
  window.localStorage.clear();
  document.documentElement.className = '';
  document.documentElement.removeAttribute('style');
  resetMedia();
});

afterEach(() => {
  cleanup();
});
