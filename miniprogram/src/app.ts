import type { PropsWithChildren } from 'react';
import './app.scss';

/** The app shell: pages do their own loading through services/ (session renewal lives in the request wrapper). */
export default function App({ children }: PropsWithChildren) {
  return children;
}
