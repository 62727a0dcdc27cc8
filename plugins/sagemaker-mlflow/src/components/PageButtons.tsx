import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import { ReactNode, useState } from 'react';

/** Token-based paging: the tokens of the pages seen so far, newest page last. */
export function usePageTokens() {
  const [tokens, setTokens] = useState<Array<string | undefined>>([undefined]);
  return {
    pageToken: tokens[tokens.length - 1],
    hasNewer: tokens.length > 1,
    newer: () => setTokens(t => t.slice(0, -1)),
    older: (nextPageToken: string) => setTokens(t => [...t, nextPageToken]),
    reset: () => setTokens([undefined]),
  };
}

/** "Newer" and "Older" buttons under a paged table, with room for other controls before them. */
export function PageButtons(props: {
  pages: ReturnType<typeof usePageTokens>;
  nextPageToken?: string;
  children?: ReactNode;
}) {
  const { pages, nextPageToken } = props;
  return (
    <Box
      display="flex"
      justifyContent="flex-end"
      alignItems="center"
      gridGap={8}
      mt={1}
    >
      {props.children}
      <Button size="small" disabled={!pages.hasNewer} onClick={pages.newer}>
        Newer
      </Button>
      <Button
        size="small"
        disabled={!nextPageToken}
        onClick={() => nextPageToken && pages.older(nextPageToken)}
      >
        Older
      </Button>
    </Box>
  );
}
